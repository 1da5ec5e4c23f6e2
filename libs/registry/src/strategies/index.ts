/**
 * The built-in kinds' strategies (a kind without one gets the registry's generic behaviour).
 * A new kind adds its definition to libs/core RESOURCES and, when it needs one, its
 * strategy here.
 */
import { StrategyCatalog } from '../strategy';
import { jobStrategy } from './jobs';
import { namespaceStrategy } from './namespaces';
import { nodeStrategy } from './nodes';
import { podStrategy } from './pods';
import { quotaRequestStrategy } from './quota-requests';
import { resourceQuotaStrategy } from './resource-quotas';
import { secretStrategy } from './secrets';
import { serviceStrategy } from './services';
import {
  daemonSetStrategy,
  deploymentStrategy,
  replicaSetStrategy,
  replicationControllerStrategy,
} from './workloads';

export const BUILTIN_STRATEGIES = new StrategyCatalog([
  namespaceStrategy,
  nodeStrategy,
  podStrategy,
  serviceStrategy,
  resourceQuotaStrategy,
  deploymentStrategy,
  replicaSetStrategy,
  replicationControllerStrategy,
  quotaRequestStrategy,
  jobStrategy,
  secretStrategy,
  daemonSetStrategy,
]);
