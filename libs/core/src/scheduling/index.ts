/**
 * Pure scheduling logic (kube-scheduler's filter and score plugins, and batch planning).
 * No I/O: the worker loads nodes and bound pods, calls these functions and applies the
 * bindings itself (re-checking capacity atomically in the store).
 */
export {
  addResources,
  DEFAULT_MAX_PODS,
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  fitsIn,
  isScalarResourceName,
  nodeAllocatable,
  otherResources,
  podNonZeroRequests,
  podRequests,
  subResources,
  zeroResources,
  type Resources,
} from './resources';
export {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  nodeTaints,
  podTolerations,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  toleratesTaint,
  tolerationToleratesTaint,
  type Taint,
  type TaintEffect,
  type Toleration,
} from './taints';
export {
  compileNodeSelectorTerm,
  nodeMatchesSelectorTerms,
  type NodeSelectorOperator,
  type NodeSelectorRequirement,
  type NodeSelectorTerm,
  type PreferredSchedulingTerm,
} from './node-affinity';
export { buildNodeInfos, controllerUid, occupiesNode, type NodeInfo } from './node-info';
export {
  anyHostPortConflict,
  hostPortsConflict,
  podHostPorts,
  type HostPortKey,
} from './host-ports';
export {
  DEFAULT_SCORE_WEIGHTS,
  insufficientReason,
  REASON_INSUFFICIENT_CPU,
  REASON_INSUFFICIENT_EPHEMERAL_STORAGE,
  REASON_INSUFFICIENT_MEMORY,
  REASON_NODE_AFFINITY,
  REASON_NODE_NAME,
  REASON_NODE_PORTS,
  REASON_NODE_UNSCHEDULABLE,
  REASON_TOO_MANY_PODS,
  untoleratedTaintReason,
  type ScoreWeights,
} from './engine';
export { filterNodes, NO_NODES_AVAILABLE_MESSAGE, unschedulableMessage } from './filter';
export { scoreNodes } from './score';
export {
  DEFAULT_SCHEDULER_NAME,
  MIN_FEASIBLE_NODES_TO_FIND,
  numFeasibleNodesToFind,
  planBindings,
  type PlanResult,
  type SkipReason,
} from './plan';
