import {
  findResource,
  formatLabelSelector,
  isNotFound,
  labelSelectorFromObject,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { WriteOptions } from '@berth/registry';

/** How controllers write: for real, and never failing on fields they do not model. */
export const WRITE: WriteOptions = { dryRun: false, fieldValidation: 'Ignore' };

function builtin(group: string, plural: string): ResourceDefinition {
  return findResource(group, 'v1', plural)!;
}

export const PODS = builtin('', 'pods');
export const NODES = builtin('', 'nodes');
export const REPLICASETS = builtin('apps', 'replicasets');
export const REPLICATIONCONTROLLERS = builtin('', 'replicationcontrollers');
export const DEPLOYMENTS = builtin('apps', 'deployments');
export const DAEMONSETS = builtin('apps', 'daemonsets');
export const CONTROLLERREVISIONS = builtin('apps', 'controllerrevisions');
export const JOBS = builtin('batch', 'jobs');
export const CRONJOBS = builtin('batch', 'cronjobs');
export const PODDISRUPTIONBUDGETS = builtin('policy', 'poddisruptionbudgets');

/** `namespace/name` → [namespace, name]. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** The object is gone (NotFound): for a controller, nothing left to do. */
export function isGone(err: unknown): boolean {
  return isNotFound(err);
}

/** A workload's `spec.selector` as a label-selector string for list calls. */
export function specSelector(obj: KubeObject): string {
  return formatLabelSelector(
    labelSelectorFromObject((obj.spec as { selector?: never } | undefined)?.selector ?? {}),
  );
}
