/**
 * core/v1 ConfigMap, validated as kube-apiserver's ValidateConfigMap / ValidateConfigMapUpdate.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { MAX_SECRET_SIZE, immutableUpdateCauses, tooLong, validateDataMap } from './config-data';
import { fe } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { stringMap } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { obj } from './util';

export const configMapSchema = z.strictObject({
  ...typeMeta('v1', 'ConfigMap'),
  data: stringMap().optional(),
  /** Values are base64 (Go `[]byte`). */
  binaryData: stringMap().optional(),
  immutable: z.boolean().optional(),
});

/** ValidateConfigMap: keys, no key in both maps, 1 MiB in all (`Too long` on the object). */
export function validateConfigMapData(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = obj(o.data);
  const binary = obj(o.binaryData);
  let size = validateDataMap(data, 'data', { base64: false }, causes);
  for (const key of Object.keys(data).sort()) {
    if (Object.hasOwn(binary, key))
      causes.push(fe.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
  }
  size += validateDataMap(binary, 'binaryData', { base64: true }, causes);
  // Kubernetes reports the size on the whole object: field.NewPath("") prints as `[]`.
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('[]', MAX_SECRET_SIZE));
  return causes;
}

/**
 * ValidateConfigMapUpdate's immutability rule, for the update transaction (old = stored):
 * an immutable ConfigMap keeps `immutable: true`, `data` and `binaryData`.
 */
export function validateConfigMapImmutableUpdate(old: KubeObject, next: KubeObject): StatusCause[] {
  return immutableUpdateCauses(next, old, ['data', 'binaryData']);
}

/** The DATA column: how many keys, in data and binaryData together. */
export function configMapDataCount(o: KubeObject): number {
  return Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length;
}

export const configMapDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: configMapSchema,
  validate: (o, old) => [
    ...(old ? validateConfigMapImmutableUpdate(old, o) : []),
    ...validateConfigMapData(o),
  ],
  columns: [
    nameColumn(),
    column(
      'Data',
      "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    ),
    ageColumn(),
  ],
  row: (o, now) => [name(o), configMapDataCount(o), age(o, now)],
});
