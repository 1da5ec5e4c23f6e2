import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { toQuantity, validateResourceList } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { anyObject, quantityMap } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { isObject, obj } from './util';

export const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
] as const;

export const resourceQuotaSchema = z.strictObject({
  ...typeMeta('v1', 'ResourceQuota'),
  spec: z
    .strictObject({
      hard: quantityMap().optional(),
      scopes: z.array(z.enum(QUOTA_SCOPES)).optional(),
      scopeSelector: anyObject().optional(),
    })
    .optional(),
  status: z
    .strictObject({ hard: quantityMap().optional(), used: quantityMap().optional() })
    .optional(),
});

function validateQuota(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  validateResourceList(obj(o.spec).hard, 'spec.hard', causes);
  validateResourceList(obj(o.status).hard, 'status.hard', causes);
  validateResourceList(obj(o.status).used, 'status.used', causes);
  return causes;
}

/** A quantity in canonical form (`1000m` → `1`), or as given when it does not parse. */
function canonical(v: unknown): string {
  const q = toQuantity(v);
  return q ? q.toString() : String(v);
}

/** The REQUEST and LIMIT cells: `pods: 1/10, requests.cpu: 500m/2` (sorted by resource). */
export function quotaCells(o: KubeObject): [string, string] {
  const status = obj(o.status);
  // Before the quota is first evaluated, show the spec with nothing used.
  const hard = obj(isObject(status.hard) ? status.hard : obj(o.spec).hard);
  const used = obj(status.used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const usedText = used[resource] === undefined ? '0' : canonical(used[resource]);
    const text = `${resource}: ${usedText}/${canonical(hard[resource])}`;
    const pieces = resource.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(text);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: resourceQuotaSchema,
  validate: validateQuota,
  columns: [
    nameColumn(),
    ageColumn(),
    column(
      'Request',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  row(o, now) {
    const [request, limit] = quotaCells(o);
    return [name(o), age(o, now), request, limit];
  },
});
