import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { toQuantity } from './causes';
import { defineResource, statusString } from './define';
import { conditionSchema, typeMeta } from './meta';
import { podSpecSchema, resourceRequirementsSchema, validatePodSpec } from './pod-spec';
import { defaultPodSpecInPlace, defaultRequestsFromLimits } from './pod-spec-defaults';
import { validatePodSpecUpdate } from './pod-spec-update';
import { anyObject, int32, int64, quantityMap, timestamp } from './schema';
import { age, ageColumn, column, name, nameColumn, since } from './table';
import { arr, isObject, obj, str, type JsonObject } from './util';
import type { Quantity } from '../quantity';

const containerStateSchema = z.strictObject({
  waiting: z
    .strictObject({ reason: z.string().optional(), message: z.string().optional() })
    .optional(),
  running: z.strictObject({ startedAt: timestamp().optional() }).optional(),
  terminated: z
    .strictObject({
      exitCode: int32(),
      signal: int32().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: timestamp().optional(),
      finishedAt: timestamp().optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});

const containerStatusSchema = z.strictObject({
  name: z.string(),
  state: containerStateSchema.optional(),
  lastState: containerStateSchema.optional(),
  ready: z.boolean().optional(),
  restartCount: int32().optional(),
  image: z.string().optional(),
  imageID: z.string().optional(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
  allocatedResources: quantityMap().optional(),
  resources: resourceRequirementsSchema.optional(),
  volumeMounts: z.array(anyObject()).optional(),
  user: anyObject().optional(),
  allocatedResourcesStatus: z.array(anyObject()).optional(),
  stopSignal: z.string().optional(),
  /**
   * Berth: where the container's ports are reachable on the node (the process runtime maps
   * each containerPort to a node port). Endpoints use these ports.
   */
  hostPorts: z
    .array(
      z.strictObject({
        containerPort: int32(),
        hostPort: int32(),
        name: z.string().optional(),
        protocol: z.string().optional(),
      }),
    )
    .optional(),
});

const podIPSchema = z.strictObject({ ip: z.string() });

export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

export const podStatusSchema = z.strictObject({
  phase: z.enum([...POD_PHASES, '']).optional(),
  conditions: z
    .array(
      conditionSchema({
        lastProbeTime: timestamp().optional(),
        lastTransitionTime: timestamp().optional(),
        observedGeneration: int64().optional(),
      }),
    )
    .optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(podIPSchema).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(podIPSchema).optional(),
  startTime: timestamp().optional(),
  initContainerStatuses: z.array(containerStatusSchema).optional(),
  containerStatuses: z.array(containerStatusSchema).optional(),
  ephemeralContainerStatuses: z.array(containerStatusSchema).optional(),
  qosClass: z.enum(['Guaranteed', 'Burstable', 'BestEffort', '']).optional(),
  resize: z.string().optional(),
  resourceClaimStatuses: z.array(anyObject()).optional(),
  observedGeneration: int64().optional(),
});

export const podSchema = z.strictObject({
  ...typeMeta('v1', 'Pod'),
  spec: podSpecSchema.optional(),
  status: podStatusSchema.optional(),
});

function validatePod(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes = validatePodSpec(o.spec, { field: 'spec' });
  if (old) causes.push(...validatePodSpecUpdate(o.spec, old.spec));
  return causes;
}

/** Kubernetes' QoS class of a pod spec (`GetPodQOS`). */
export function podQOSClass(spec: unknown): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const s = obj(spec);
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, k: string, q: Quantity) =>
    m.set(k, m.has(k) ? m.get(k)!.add(q) : q);
  for (const c of [...arr(s.containers), ...arr(s.initContainers)]) {
    const res = obj(obj(c).resources);
    for (const [k, v] of Object.entries(obj(res.requests))) {
      const q = toQuantity(v);
      if ((k === 'cpu' || k === 'memory') && q && !q.isZero()) add(requests, k, q);
    }
    const found = new Set<string>();
    for (const [k, v] of Object.entries(obj(res.limits))) {
      const q = toQuantity(v);
      if ((k === 'cpu' || k === 'memory') && q && !q.isZero()) {
        found.add(k);
        add(limits, k, q);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, q] of requests) {
      const l = limits.get(k);
      if (!l || l.cmp(q) !== 0) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

function defaultPod(o: JsonObject): void {
  if (isObject(o.spec)) {
    defaultPodSpecInPlace(o.spec);
    defaultRequestsFromLimits(o.spec);
  }
  const status = isObject(o.status) ? o.status : (o.status = {});
  if (status.phase === undefined || status.phase === '') status.phase = 'Pending';
  if ((status.qosClass === undefined || status.qosClass === '') && isObject(o.spec)) {
    status.qosClass = podQOSClass(o.spec);
  }
}

/**
 * The grace period a DELETE gives a pod, as Kubernetes' podStrategy.CheckGracefulDelete: the
 * DeleteOptions' value when given (0 stays 0), else spec.terminationGracePeriodSeconds (0 when
 * unset); 0 for a pod not scheduled yet or already Succeeded/Failed.
 */
export function podDeletionGracePeriod(o: KubeObject, requested: number | undefined): number {
  const spec = obj(o.spec);
  const fromSpec = spec.terminationGracePeriodSeconds;
  let period = requested ?? (typeof fromSpec === 'number' ? fromSpec : 0);
  if (!str(spec.nodeName)) period = 0;
  const phase = statusString(o, 'phase');
  if (phase === 'Succeeded' || phase === 'Failed') period = 0;
  return period;
}

// ---------------------------------------------------------------------------------------------
// Printing (kubectl's printPod)
// ---------------------------------------------------------------------------------------------

function latest(a: string, b: unknown): string {
  if (typeof b !== 'string' || Number.isNaN(Date.parse(b))) return a;
  if (!a || Date.parse(b) > Date.parse(a)) return b;
  return a;
}

function hasCondition(status: JsonObject, type: string): boolean {
  return arr(status.conditions).some((c) => obj(c).type === type && obj(c).status === 'True');
}

/** The READY, STATUS and RESTARTS cells, as kubectl computes them. */
export function podStatusCells(
  o: KubeObject,
  now: Date,
): { ready: string; reason: string; restarts: string } {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const meta = obj(o.metadata);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of arr(status.conditions).map(obj)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, JsonObject>();
  let total = arr(spec.containers).length;
  for (const c of arr(spec.initContainers).map(obj)) {
    initContainers.set(str(c.name), c);
    if (c.restartPolicy === 'Always') total++;
  }
  const isSidecar = (n: string) => initContainers.get(n)?.restartPolicy === 'Always';

  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  let lastRestart = '';
  let lastSidecarRestart = '';
  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses).map(obj);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const count = typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    const lastTerminated = obj(obj(cs.lastState).terminated);
    restarts += count;
    lastRestart = latest(lastRestart, lastTerminated.finishedAt);
    if (isSidecar(str(cs.name))) {
      sidecarRestarts += count;
      lastSidecarRestart = latest(lastSidecarRestart, lastTerminated.finishedAt);
    }
    const state = obj(cs.state);
    const terminated = isObject(state.terminated) ? state.terminated : undefined;
    const waiting = isObject(state.waiting) ? state.waiting : undefined;
    if (terminated && terminated.exitCode === 0) continue;
    if (isSidecar(str(cs.name)) && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const r = str(terminated.reason);
      if (r) reason = `Init:${r}`;
      else if (typeof terminated.signal === 'number' && terminated.signal !== 0)
        reason = `Init:Signal:${terminated.signal}`;
      else
        reason = `Init:ExitCode:${typeof terminated.exitCode === 'number' ? terminated.exitCode : 0}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${arr(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses).map(obj);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += typeof cs.restartCount === 'number' ? cs.restartCount : 0;
      lastRestart = latest(lastRestart, obj(obj(cs.lastState).terminated).finishedAt);
      const state = obj(cs.state);
      const waiting = isObject(state.waiting) ? state.waiting : undefined;
      const terminated = isObject(state.terminated) ? state.terminated : undefined;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) {
        reason =
          typeof terminated.signal === 'number' && terminated.signal !== 0
            ? `Signal:${terminated.signal}`
            : `ExitCode:${typeof terminated.exitCode === 'number' ? terminated.exitCode : 0}`;
      } else if (cs.ready === true && isObject(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning)
      reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }

  if (meta.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (meta.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart
      ? `${restarts} (${since(lastRestart, now)} ago)`
      : String(restarts);
  return { ready: `${ready}/${total}`, reason, restarts: restartsText };
}

function podRow(o: KubeObject, now: Date): unknown[] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const { ready, reason, restarts } = podStatusCells(o, now);
  const podIP = str(obj(arr(status.podIPs)[0]).ip) || str(status.podIP);
  const gates = arr(spec.readinessGates).map((g) => str(obj(g).conditionType));
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const conditions = arr(status.conditions).map(obj);
    const trueCount = gates.filter(
      (g) => conditions.find((c) => c.type === g)?.status === 'True',
    ).length;
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return [
    name(o),
    ready,
    reason,
    restarts,
    age(o, now),
    podIP || '<none>',
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
}

export const podDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: podSchema,
  validate: validatePod,
  defaults: defaultPod,
  deletionGracePeriod: podDeletionGracePeriod,
  selectableFields(o) {
    const spec = obj(o.spec);
    return {
      'spec.nodeName': str(spec.nodeName),
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': spec.hostNetwork === true ? 'true' : 'false',
      'status.phase': statusString(o, 'phase'),
      'status.podIP': statusString(o, 'podIP'),
      'status.nominatedNodeName': statusString(o, 'nominatedNodeName'),
    };
  },
  columns: [
    nameColumn(),
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    column(
      'IP',
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      { wide: true },
    ),
    column('Node', 'NodeName indicates in which node this pod is scheduled.', { wide: true }),
    column(
      'Nominated Node',
      'nominatedNodeName is set when this pod preempts other pods on the node.',
      { wide: true },
    ),
    column(
      'Readiness Gates',
      'If specified, all readiness gates will be evaluated for pod readiness.',
      { wide: true },
    ),
  ],
  row: podRow,
});
