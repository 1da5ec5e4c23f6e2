/** Where an object lives: like an etcd key. `namespace` is '' for cluster-scoped objects. */
export interface ObjectKey {
  /** Plural resource with its group, if any: `<plural>` or `<plural>.<group>`. */
  resource: string;
  namespace: string;
  name: string;
}

/** A JSON object as stored (a Kubernetes object with metadata). */
export type JsonObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface StoredObject {
  key: ObjectKey;
  resourceVersion: bigint;
  object: JsonObject;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeRecord {
  revision: bigint;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  object: JsonObject;
}

/** Structural twins of libs/core's selector ASTs (the store only needs their shape). */
export interface LabelRequirementLike {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';
  values: string[];
}
export interface FieldRequirementLike {
  field: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

export interface ListOptions {
  resource: string;
  /** Undefined: every namespace. */
  namespace?: string;
  /** Only objects in these namespaces (a caller's visible namespaces); empty: none. */
  namespaces?: string[];
  /** Only objects with these names (cluster-scoped objects a caller may see); empty: none. */
  names?: string[];
  /** Only objects whose labels include at least one of these label sets. */
  labelsAnyOf?: Array<Record<string, string>>;
  labelSelector?: LabelRequirementLike[];
  fieldSelector?: FieldRequirementLike[];
  /** Page size; undefined or 0 for everything. */
  limit?: number;
  /** Token from a previous page's `continue`. */
  continueToken?: string;
}

export interface ListResult {
  items: StoredObject[];
  /** The store revision the list was read at. */
  revision: bigint;
  /** Set when more items may follow. */
  continueToken?: string;
}
