import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';

/** One column of a server-side `Table` (meta.k8s.io/v1), as kubectl prints it. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0: always shown; >0: only with `-o wide`. */
  priority: number;
}

/** What the `scale` subresource reads and writes. */
export interface ScaleSupport {
  /** `spec.replicas` of the object. */
  specReplicas(obj: KubeObject): number;
  statusReplicas(obj: KubeObject): number;
  /** The label selector as a string (`app=web,tier in (a,b)`), for Scale.status.selector. */
  selector(obj: KubeObject): string;
}

/** Result of schema validation of one incoming object. */
export interface SchemaResult {
  /** The object with unknown fields removed (when not strict) and defaults applied. */
  object: KubeObject;
  /** Field errors: the request is rejected with 422 Invalid if any. */
  causes: StatusCause[];
  /** Dotted paths of fields the schema does not know (e.g. `spec.template.spec.foo`). */
  unknownFields: string[];
  /** Integers out of their Go type's range (int32…): a 400 decode error in Kubernetes. */
  decodeErrors?: StatusCause[];
}

/**
 * Everything Berth knows about one resource type: its names for discovery and URL
 * routing, its validation and defaults, and how `kubectl get` prints it. Pure data and
 * functions only — the API server and store are generic over these.
 */
export interface ResourceDefinition {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: the URL segment (`pods`). */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Whether the object has a `status` written only through the status subresource. */
  hasStatus: boolean;
  scale?: ScaleSupport;
  /** Whether changes to this resource's spec bump metadata.generation. */
  tracksGeneration: boolean;
  /**
   * For resources deleted gracefully (pods), the grace period a DELETE gives `obj`, from the
   * DeleteOptions' `gracePeriodSeconds` when given: Kubernetes' CheckGracefulDelete. The
   * object recorded as deleted carries it as `metadata.deletionGracePeriodSeconds`, with a
   * `deletionTimestamp`. Absent: the resource has no grace period.
   */
  deletionGracePeriod?(obj: KubeObject, requested: number | undefined): number;
  /**
   * Validates `obj` against the resource's schema. Unknown fields are reported in
   * `unknownFields` and removed from the returned object; the caller decides (from
   * `fieldValidation`) whether they are an error.
   */
  validateSchema(obj: unknown): SchemaResult;
  /** Semantic checks beyond the schema (names, quantities, uniqueness, immutability). */
  validate(obj: KubeObject, old?: KubeObject): StatusCause[];
  /** Fills defaults like Kubernetes does (returns a new object; never mutates). */
  applyDefaults(obj: KubeObject): KubeObject;
  /**
   * Values for field selectors beyond `metadata.name` / `metadata.namespace`
   * (e.g. pods: `spec.nodeName`, `status.phase`). Keys are the selector field names.
   */
  selectableFields(obj: KubeObject): Record<string, string>;
  /** Server-side printing for `kubectl get`. `now` makes ages deterministic in tests. */
  table: {
    columns: TableColumn[];
    row(obj: KubeObject, now: Date): unknown[];
  };
  /** JSON Schema (OpenAPI 3.0 dialect) of the object, for the OpenAPI document. */
  jsonSchema(): Record<string, unknown>;
}

/** `apps/v1` or `v1`. */
export function groupVersion(def: Pick<ResourceDefinition, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** `deployments.apps`, `pods`: the store's key prefix and RBAC's resource name. */
export function qualifiedResource(def: Pick<ResourceDefinition, 'group' | 'plural'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}
