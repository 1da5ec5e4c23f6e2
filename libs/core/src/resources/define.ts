/**
 * Builds a `ResourceDefinition` from a kind's parts, adding the shared behaviour: schema
 * checking with unknown-field stripping, metadata validation, copy-then-default, and guards
 * so no method ever throws on hostile input.
 */
import type { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import type { ResourceDefinition, ScaleSupport, TableColumn } from './definition';
import { validateMeta, type NameRule } from './meta';
import { checkSchema, toOpenApiSchema } from './schema';
import { deepClone, isObject, obj, str, type JsonObject } from './util';

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export interface KindParts {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories?: string[];
  hasStatus: boolean;
  tracksGeneration: boolean;
  scale?: ScaleSupport;
  /** See ResourceDefinition.deletionGracePeriod. */
  deletionGracePeriod?(o: KubeObject, requested: number | undefined): number;
  /** DNS-1123 label (namespaces, services) or subdomain (everything else). */
  nameRule: NameRule;
  schema: z.ZodType;
  /** Kind-specific semantic checks (metadata is checked by the caller). */
  validate?(o: KubeObject, old: KubeObject | undefined): StatusCause[];
  /** Fills defaults in place on a private copy. */
  defaults?(o: JsonObject): void;
  selectableFields?(o: KubeObject): Record<string, string>;
  columns: TableColumn[];
  row(o: KubeObject, now: Date): unknown[];
}

export function defineResource(parts: KindParts): ResourceDefinition {
  const apiVersion = parts.group ? `${parts.group}/${parts.version}` : parts.version;
  let openApi: JsonObject | undefined;

  const applyDefaults = (o: KubeObject): KubeObject => {
    const copy = deepClone(o) as unknown as JsonObject;
    if (!isObject(copy)) return o;
    try {
      parts.defaults?.(copy);
    } catch {
      // Defaults are best effort on malformed objects; validation reports the problem.
    }
    return copy as KubeObject;
  };

  const def: ResourceDefinition = {
    group: parts.group,
    version: parts.version,
    kind: parts.kind,
    listKind: `${parts.kind}List`,
    plural: parts.plural,
    singular: parts.singular,
    namespaced: parts.namespaced,
    shortNames: [...parts.shortNames],
    categories: [...(parts.categories ?? [])],
    verbs: [...STANDARD_VERBS],
    hasStatus: parts.hasStatus,
    tracksGeneration: parts.tracksGeneration,
    ...(parts.scale ? { scale: parts.scale } : {}),
    ...(parts.deletionGracePeriod ? { deletionGracePeriod: parts.deletionGracePeriod } : {}),

    validateSchema(input: unknown) {
      const result = checkSchema(parts.schema, input);
      const value = isObject(result.value) ? result.value : { apiVersion, kind: parts.kind };
      if (!isObject(value.metadata)) value.metadata = {};
      let object = value as KubeObject;
      if (result.causes.length === 0) object = applyDefaults(object);
      return {
        object,
        causes: result.causes,
        unknownFields: result.unknownFields,
        decodeErrors: result.decodeErrors,
      };
    },

    validate(o: KubeObject, old?: KubeObject) {
      try {
        const target = isObject(o) ? o : ({ metadata: {} } as unknown as KubeObject);
        const previous = isObject(old) ? old : undefined;
        return [
          ...validateMeta(target, previous, {
            namespaced: parts.namespaced,
            nameRule: parts.nameRule,
          }),
          ...(parts.validate?.(target, previous) ?? []),
        ];
      } catch (err) {
        return [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: the object could not be validated: ${err instanceof Error ? err.message : String(err)}`,
          },
        ];
      }
    },

    applyDefaults,

    selectableFields(o: KubeObject) {
      try {
        return parts.selectableFields?.(o) ?? {};
      } catch {
        return {};
      }
    },

    table: {
      columns: parts.columns.map((c) => ({ ...c })),
      row(o: KubeObject, now: Date) {
        try {
          return parts.row(o, now);
        } catch {
          return parts.columns.map((c, i) =>
            i === 0 ? str(obj(obj(o).metadata).name) : c.type === 'integer' ? 0 : '',
          );
        }
      },
    },

    jsonSchema() {
      openApi ??= toOpenApiSchema(parts.schema, {
        'x-kubernetes-group-version-kind': [
          { group: parts.group, kind: parts.kind, version: parts.version },
        ],
      });
      return deepClone(openApi);
    },
  };
  return def;
}

/** `obj.status.<key>` as a string, or `''`. */
export function statusString(o: KubeObject, key: string): string {
  return str(obj(o.status)[key]);
}
