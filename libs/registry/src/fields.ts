/**
 * What the registry stores beside each object and how a kind merges patches: generic, with
 * the kind's own part from its strategy.
 */
import {
  groupVersion,
  objectMetaPatchSchema,
  type KubeObject,
  type PatchSchema,
  type ResourceDefinition,
} from '@berth/core';
import { BUILTIN_STRATEGIES } from './strategies';
import type { StrategyCatalog } from './strategy';

/** Field values a field selector can match, stored beside each object. */
export function fieldsOf(
  def: ResourceDefinition,
  obj: KubeObject,
  strategies: StrategyCatalog = BUILTIN_STRATEGIES,
): Record<string, string> {
  let extra: Record<string, string> = {};
  try {
    extra = def.selectableFields(obj);
  } catch {
    extra = {};
  }
  let stored: Record<string, string> = {};
  try {
    stored = strategies.for(def).storedFields?.(obj) ?? {};
  } catch {
    stored = {};
  }
  return {
    'metadata.name': obj.metadata?.name ?? '',
    ...(def.namespaced ? { 'metadata.namespace': obj.metadata?.namespace ?? '' } : {}),
    ...extra,
    ...stored,
  };
}

/** Field names a field selector may use for this resource. */
export function selectableFieldNames(def: ResourceDefinition): Set<string> {
  const probe: KubeObject = { apiVersion: groupVersion(def), kind: def.kind, metadata: {} };
  return new Set(
    [...Object.keys(fieldsOf(def, probe)), 'metadata.name', 'metadata.namespace'].filter(
      (f) => !f.startsWith('__'),
    ),
  );
}

export function patchSchemaFor(
  def: ResourceDefinition,
  strategies: StrategyCatalog = BUILTIN_STRATEGIES,
): PatchSchema {
  return { ...objectMetaPatchSchema(), ...strategies.for(def).patchSchema };
}
