/**
 * Shared object-model schemas (ObjectMeta, LabelSelector, ObjectReference, conditions) and
 * the metadata checks every kind runs.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { validateObjectMeta } from '../validation';
import { anyObject, int64, mergeList, stringMap, timestamp } from './schema';
import { formatValue, obj, str } from './util';

export const ownerReferenceSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

export const objectMetaSchema = z.strictObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  selfLink: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: int64().optional(),
  creationTimestamp: timestamp().optional(),
  deletionTimestamp: timestamp().optional(),
  deletionGracePeriodSeconds: int64().optional(),
  labels: stringMap().optional(),
  annotations: stringMap().optional(),
  ownerReferences: mergeList(ownerReferenceSchema, 'uid').optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(anyObject()).optional(),
});

export const labelSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});

export const labelSelectorSchema = z.strictObject({
  matchLabels: stringMap().optional(),
  matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
});

export const objectReferenceSchema = z.strictObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const conditionStatusSchema = z.enum(['True', 'False', 'Unknown']);

/** The common shape of `status.conditions[]` items (type/status/reason/message + times). */
export function conditionSchema<T extends Record<string, z.ZodType>>(times: T) {
  return z.strictObject({
    type: z.string(),
    status: conditionStatusSchema,
    reason: z.string().optional(),
    message: z.string().optional(),
    ...times,
  });
}

/** `apiVersion` + `kind` literals and `metadata`: the head of every object schema. */
export function typeMeta(apiVersion: string, kind: string) {
  return {
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: objectMetaSchema.optional(),
  };
}

export type NameRule = 'subdomain' | 'label' | 'path';

/**
 * Metadata checks: name/namespace/labels/annotations via the shared validation helpers,
 * and on update that name and namespace did not change.
 */
export function validateMeta(
  o: KubeObject,
  old: KubeObject | undefined,
  opts: { namespaced: boolean; nameRule: NameRule },
): StatusCause[] {
  const meta = obj(o.metadata);
  const causes: StatusCause[] = [...validateObjectMeta(meta as KubeObject['metadata'], opts)];
  if (old) {
    const oldMeta = obj(old.metadata);
    for (const key of ['name', 'namespace'] as const) {
      const before = str(oldMeta[key]);
      const after = str(meta[key]);
      if (before !== after) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.${key}`,
          message: `Invalid value: ${formatValue(after)}: field is immutable`,
        });
      }
    }
  }
  return causes;
}
