/**
 * The Deployment controller, split as kubernetes pkg/controller/deployment is: the entry
 * point ({@link reconcileDeployment}, controller.ts), sync.ts, rolling.ts, recreate.ts,
 * progress.ts, rollback.ts, and what they share (util.ts).
 */
export {
  DESIRED_REPLICAS_ANNOTATION,
  DeploymentReasons,
  LAST_APPLIED_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  equalIgnoreHash,
  maxSurgeOf,
  maxUnavailableOf,
  podTemplateHash,
  resolveFenceposts,
  revisionOf,
  type DeploymentReconcileResult,
  type DeploymentStatus,
  type ReplicaSetUpdate,
} from './util';
export { applyReplicaSetUpdate, reconcileDeployment } from './controller';
export { planRollback, type RollbackPlan } from './rollback';
