/**
 * The built-in resource types Berth serves, and lookups over them for URL routing and
 * discovery.
 */
import type { ResourceDefinition } from './definition';
import { groupVersion } from './definition';
import { daemonSetDefinition } from './daemon-set';
import { controllerRevisionDefinition } from './controller-revision';
import { configMapDefinition } from './config-map';
import { deploymentDefinition } from './deployment';
import { endpointsDefinition } from './endpoints';
import { eventDefinition } from './event';
import { cronJobDefinition } from './cron-job';
import { jobDefinition } from './job';
import { leaseDefinition } from './lease';
import { limitRangeDefinition } from './limit-range';
import { namespaceDefinition } from './namespace';
import { nodeDefinition } from './node';
import { podDefinition } from './pod';
import { podDisruptionBudgetDefinition } from './poddisruptionbudget';
import {
  clusterRoleBindingDefinition,
  clusterRoleDefinition,
  roleBindingDefinition,
  roleDefinition,
} from './rbac';
import { replicaSetDefinition } from './replica-set';
import { replicationControllerDefinition } from './replication-controller';
import { resourceQuotaDefinition } from './resource-quota';
import { secretDefinition } from './secret';
import { serviceDefinition } from './service';
import { serviceAccountDefinition } from './service-account';
import { tenantDefinition } from './tenant';
import { quotaRequestDefinition } from './quota-request';

export * from './definition';
export {
  TENANCY_GROUP,
  TENANT_LABEL,
  TENANT_ROLES,
  tenantMembers,
  tenantNamespaceLimit,
  tenantSuspended,
} from './tenant';
export type { TenantRole } from './tenant';
export { QUOTA_REQUEST_PHASES } from './quota-request';
export * from './token-request';
export { humanDuration } from './table';
// What a new kind is built from (see ARCHITECTURE.md, "How a kind is added").
export { defineResource, type KindParts } from './define';
export { typeMeta } from './meta';
export { age, ageColumn, column, nameColumn, name as objectName } from './table';
export { podQOSClass, podStatusCells } from './pod';
export { replicationControllerAsReplicaSet } from './replication-controller';
export {
  generateJobSelector,
  jobStatusText,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  JOB_CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
} from './job';
export { defaultPullPolicy } from './pod-spec-defaults';
export { INT32_MAX, INT32_MIN } from './schema';
export { nodeRoles, nodeStatus } from './node';
export { RBAC_GROUP, SUBJECT_KINDS, subjectsStrings } from './rbac';
export { foldStringData, SECRET_TYPES } from './secret';
export {
  clusterRoleBindingDefinition,
  configMapDefinition,
  secretDefinition,
  clusterRoleDefinition,
  daemonSetDefinition,
  controllerRevisionDefinition,
  deploymentDefinition,
  endpointsDefinition,
  eventDefinition,
  leaseDefinition,
  limitRangeDefinition,
  namespaceDefinition,
  nodeDefinition,
  podDefinition,
  replicaSetDefinition,
  replicationControllerDefinition,
  resourceQuotaDefinition,
  roleBindingDefinition,
  roleDefinition,
  serviceDefinition,
  serviceAccountDefinition,
  tenantDefinition,
  quotaRequestDefinition,
  jobDefinition,
  cronJobDefinition,
  podDisruptionBudgetDefinition,
};

/** Every built-in resource, core group first (the order `kubectl api-resources` lists). */
export const RESOURCES: readonly ResourceDefinition[] = Object.freeze([
  namespaceDefinition,
  nodeDefinition,
  podDefinition,
  serviceDefinition,
  endpointsDefinition,
  eventDefinition,
  resourceQuotaDefinition,
  limitRangeDefinition,
  serviceAccountDefinition,
  replicationControllerDefinition,
  configMapDefinition,
  secretDefinition,
  deploymentDefinition,
  replicaSetDefinition,
  daemonSetDefinition,
  controllerRevisionDefinition,
  clusterRoleBindingDefinition,
  clusterRoleDefinition,
  roleBindingDefinition,
  roleDefinition,
  leaseDefinition,
  tenantDefinition,
  quotaRequestDefinition,
  jobDefinition,
  cronJobDefinition,
  podDisruptionBudgetDefinition,
]);

/** The resource served at `/api[s]/<group>/<version>/<plural>`, matched by plural only. */
export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceDefinition | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The resource for an object's `apiVersion` (`v1`, `apps/v1`) and `kind`. */
export function findResourceByKind(
  apiVersion: string,
  kind: string,
): ResourceDefinition | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

export interface ApiGroupInfo {
  /** '' for the core (legacy) group served under `/api`. */
  group: string;
  versions: string[];
  preferredVersion: string;
}

function apiGroups(): ApiGroupInfo[] {
  const groups = new Map<string, ApiGroupInfo>();
  for (const r of RESOURCES) {
    const g = groups.get(r.group) ?? { group: r.group, versions: [], preferredVersion: r.version };
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
    groups.set(r.group, g);
  }
  return [...groups.values()];
}

/** API groups for discovery, core (`''`) first; `/apis` lists the non-empty ones. */
export const API_GROUPS: readonly ApiGroupInfo[] = Object.freeze(apiGroups());
