/**
 * Decoding and checking what a client sends, and merging an update onto what is stored:
 * the same for every kind (the kind's rules come from its ResourceDefinition).
 */
import { randomUUID } from 'node:crypto';
import {
  cloneJson,
  formatTimestamp,
  errors,
  groupVersion,
  jsonEqual,
  type KubeObject,
  type ResourceDefinition,
  type StatusCause,
} from '@berth/core';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON equality: key order does not matter and a property set to undefined is absent. */
export function sameJson(a: unknown, b: unknown): boolean {
  return jsonEqual(cloneJson(a ?? null), cloneJson(b ?? null));
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Validates an incoming body against the resource's schema and shape rules. */
export function decode(
  def: ResourceDefinition,
  body: unknown,
  fieldValidation: FieldValidation,
  duplicateFields: (string | { path: string; prefix: string })[] = [],
): WriteResult {
  if (!isPlainObject(body)) {
    throw errors.badRequest(
      `the body of the request must be a JSON object describing a ${def.kind}`,
    );
  }
  const expectedApiVersion = groupVersion(def);
  if (body.apiVersion !== undefined && body.apiVersion !== expectedApiVersion) {
    throw errors.badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expectedApiVersion})`,
    );
  }
  if (body.kind !== undefined && body.kind !== def.kind) {
    throw errors.badRequest(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`,
    );
  }
  const withType = {
    ...body,
    apiVersion: expectedApiVersion,
    kind: def.kind,
    metadata: body.metadata ?? {},
  };
  const result = def.validateSchema(withType);
  if (result.decodeErrors?.length) {
    // As kube-apiserver: a number out of its Go type's range fails to decode (400).
    throw errors.badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: ${result.decodeErrors.map((c) => c.message).join(', ')}`,
      result.decodeErrors,
    );
  }
  const warnings: string[] = [];
  // Duplicate keys (sigs.k8s.io/json UnmarshalStrict: `duplicate field "a.b"`), then
  // unknown fields: one strict decoding error naming them all, as kube-apiserver's.
  const duplicates = duplicateFields.map((d) =>
    typeof d === 'string' ? { path: d, prefix: '' } : d,
  );
  if (duplicates.length > 0 || result.unknownFields.length > 0) {
    const fields = [
      ...duplicates.map((d) => `${d.prefix}duplicate field ${JSON.stringify(d.path)}`),
      ...result.unknownFields.map((f) => `unknown field "${f}"`),
    ];
    if (fieldValidation === 'Strict') {
      throw errors.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${fields.join(', ')}`,
        [
          ...duplicates.map((d) => ({
            reason: 'FieldValueDuplicate',
            field: d.path,
            message: `${d.prefix}duplicate field`,
          })),
          ...result.unknownFields.map((f) => ({
            reason: 'FieldValueInvalid',
            field: f,
            message: 'unknown field',
          })),
        ],
      );
    }
    if (fieldValidation === 'Warn') warnings.push(...fields);
  }
  if (result.causes.length > 0) {
    const name = isPlainObject(withType.metadata) ? String(withType.metadata.name ?? '') : '';
    throw errors.invalid(def.kind, name, result.causes, def.group || undefined);
  }
  return { object: result.object, warnings };
}

export function assertValid(def: ResourceDefinition, obj: KubeObject, old?: KubeObject): void {
  let causes: StatusCause[];
  try {
    causes = def.validate(obj, old);
  } catch (err) {
    causes = [
      {
        reason: 'FieldValueInvalid',
        message: `could not be validated: ${(err as Error).message}`,
      },
    ];
  }
  if (causes.length > 0)
    throw errors.invalid(def.kind, obj.metadata.name ?? '', causes, def.group || undefined);
}

export function assertSameIdentity(
  def: ResourceDefinition,
  obj: KubeObject,
  namespace: string,
  name: string,
): void {
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw errors.badRequest(
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  obj.metadata.name = name;
  if (def.namespaced) {
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw errors.badRequest(
        `the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${namespace})`,
      );
    }
    obj.metadata.namespace = namespace;
  }
}

export function parseResourceVersion(raw: string | undefined): bigint | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[0-9]{1,19}$/.test(raw)) {
    throw errors.badRequest(
      `metadata.resourceVersion must be a resourceVersion this server returned, got "${raw}"`,
    );
  }
  return BigInt(raw);
}

export function mergeForUpdate(
  def: ResourceDefinition,
  current: KubeObject,
  incoming: KubeObject,
  subresource: '' | 'status',
): KubeObject {
  if (subresource === 'status') {
    const next = clone(current);
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
    return next;
  }
  const next = clone(incoming);
  const meta = next.metadata;
  const cur = current.metadata;
  meta.uid = cur.uid;
  meta.creationTimestamp = cur.creationTimestamp;
  meta.generation = cur.generation ?? 1;
  if (cur.deletionTimestamp) meta.deletionTimestamp = cur.deletionTimestamp;
  else delete meta.deletionTimestamp;
  if (cur.deletionGracePeriodSeconds !== undefined)
    meta.deletionGracePeriodSeconds = cur.deletionGracePeriodSeconds;
  else delete meta.deletionGracePeriodSeconds;
  if (def.hasStatus) {
    if (current.status === undefined) delete next.status;
    else next.status = clone(current.status);
  }
  const defaulted = def.applyDefaults(next);
  if (def.tracksGeneration && !sameJson(defaulted.spec, current.spec)) {
    defaulted.metadata.generation = (cur.generation ?? 1) + 1;
  }
  return defaulted;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The metadata a new object gets whatever the client sent: its namespace (checked against the
 * URL's), a name from `generateName`, uid, creation time, generation 1, no resourceVersion
 * or deletion marks.
 */
export function initializeForCreate(
  def: ResourceDefinition,
  incoming: KubeObject,
  namespace: string,
): void {
  const meta = incoming.metadata;
  if (def.namespaced) {
    if (meta.namespace && meta.namespace !== namespace) {
      throw errors.badRequest(
        `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${namespace})`,
      );
    }
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  if (!meta.name && meta.generateName) {
    let suffix = '';
    for (let i = 0; i < 5; i++)
      suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
    meta.name = `${meta.generateName}${suffix}`;
  }
  const now = formatTimestamp(new Date());
  meta.uid = randomUUID();
  meta.creationTimestamp = now;
  meta.generation = 1;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete (meta as Record<string, unknown>).selfLink;
}

/**
 * A patched object must keep what identifies it: the name and namespace on the URL, the uid
 * (immutable: it was silently put back, and the client told it had succeeded), and the
 * resourceVersion it was read at when it names one.
 */
export function assertPatchedIdentity(
  def: ResourceDefinition,
  incoming: KubeObject,
  current: KubeObject,
  namespace: string,
  name: string,
): void {
  if (
    incoming.metadata.resourceVersion &&
    incoming.metadata.resourceVersion !== current.metadata.resourceVersion
  ) {
    throw errors.conflict(
      def.plural,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
      def.group || undefined,
    );
  }
  assertSameIdentity(def, incoming, namespace, name);
  // A patch cannot change the uid (Kubernetes: metadata.uid is immutable); it was
  // silently put back, and the client told it had succeeded.
  const uid = incoming.metadata.uid;
  if (uid !== undefined && uid !== current.metadata.uid)
    throw errors.invalid(
      def.kind,
      name,
      [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(uid)}: field is immutable`,
          field: 'metadata.uid',
        },
      ],
      def.group || undefined,
    );
}
