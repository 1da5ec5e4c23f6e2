import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, intOrPercent } from './causes';
import { defineResource } from './define';
import { validateLabelSelector } from './label-selector';
import { conditionSchema, labelSelectorSchema, typeMeta } from './meta';
import { int32, int64, intOrString, timestamp } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { obj, str } from './util';

export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'] as const;

/** policy/v1 PodDisruptionBudget. */
export const podDisruptionBudgetSchema = z.strictObject({
  ...typeMeta('policy/v1', 'PodDisruptionBudget'),
  spec: z
    .strictObject({
      minAvailable: intOrString().optional(),
      maxUnavailable: intOrString().optional(),
      selector: labelSelectorSchema.optional(),
      unhealthyPodEvictionPolicy: z.string().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      observedGeneration: int64().optional(),
      disruptedPods: z.record(z.string(), timestamp()).optional(),
      disruptionsAllowed: int32().optional(),
      currentHealthy: int32().optional(),
      desiredHealthy: int32().optional(),
      expectedPods: int32().optional(),
      conditions: z
        .array(
          conditionSchema({
            lastTransitionTime: timestamp().optional(),
            observedGeneration: int64().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** An int-or-percent field, at most 100% (IsNotMoreThan100Percent). */
function validateIntOrPercent(v: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const parsed = intOrPercent(v, field, causes);
  if (parsed?.percent && parsed.value > 100)
    causes.push(fe.invalid(field, v, 'must not be greater than 100%'));
  return causes;
}

/** pkg/apis/policy/validation ValidatePodDisruptionBudget{Spec,Status}. */
function validatePodDisruptionBudget(o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.push(fe.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (spec.minAvailable !== undefined) {
    causes.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  }
  if (spec.maxUnavailable !== undefined) {
    causes.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  }
  if (spec.selector !== undefined) {
    causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  }
  const policy = spec.unhealthyPodEvictionPolicy;
  if (
    policy !== undefined &&
    !(UNHEALTHY_POD_EVICTION_POLICIES as readonly unknown[]).includes(policy)
  ) {
    causes.push(
      fe.notSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POD_EVICTION_POLICIES),
    );
  }
  const status = obj(o.status);
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) {
    const v = status[f];
    if (typeof v === 'number' && v < 0) {
      causes.push(fe.invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
    }
  }
  return causes;
}

/** An int-or-string cell as kubectl prints it (`N/A` when unset). */
function intOrStringCell(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : 'N/A';
}

export const podDisruptionBudgetDefinition = defineResource({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  schema: podDisruptionBudgetSchema,
  validate: validatePodDisruptionBudget,
  columns: [
    nameColumn(),
    column('Min Available', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', {
      type: 'integer',
    }),
    ageColumn(),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const allowed = obj(o.status).disruptionsAllowed;
    return [
      name(o),
      intOrStringCell(spec.minAvailable),
      intOrStringCell(spec.maxUnavailable),
      typeof allowed === 'number' ? allowed : 0,
      age(o, now),
    ];
  },
});

/** The unhealthy-pod eviction policy in force (`IfHealthyBudget` when unset). */
export function unhealthyPodEvictionPolicy(pdb: KubeObject): string {
  return str(obj(pdb.spec).unhealthyPodEvictionPolicy) || 'IfHealthyBudget';
}
