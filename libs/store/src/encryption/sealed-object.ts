/**
 * How an encrypted object sits in a JSONB column (`objects.data`, `changes.object`).
 *
 * kube-apiserver encrypts the whole serialized object. Berth's store also reads a few
 * metadata fields in SQL (label selectors, owner references, deletionTimestamp) and sets
 * `metadata.resourceVersion` with jsonb_set, so a sealed object keeps those in clear and
 * carries everything — the whole object except resourceVersion — in one encrypted value:
 *
 *     { "apiVersion": "v1", "kind": "Secret",
 *       "metadata": { name, namespace, uid, resourceVersion, generation, creationTimestamp,
 *                     deletionTimestamp, deletionGracePeriodSeconds, labels,
 *                     ownerReferences, finalizers },
 *       "encrypted": "<base64 of k8s:enc:aesgcm:v1:<key>:nonce‖ciphertext‖tag>" }
 *
 * Annotations (kubectl's last-applied-configuration holds the whole manifest) and
 * managedFields (they name the data keys) stay inside. The storage key
 * (`/<resource>/<namespace>/<name>`) is the authenticated data, so a sealed value only
 * opens for the object it was written for.
 */
import { EncryptionError } from './aes-gcm';
import type { ValueTransformer } from './key-ring';

export const SEALED_FIELD = 'encrypted';

const CLEAR_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'ownerReferences',
  'finalizers',
] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The authenticated data for an object's rows: its store key. */
export function storageContext(resource: string, namespace: string, name: string): string {
  return `/${resource}/${namespace}/${name}`;
}

export function isSealedObject(v: unknown): boolean {
  return isObject(v) && typeof v[SEALED_FIELD] === 'string';
}

/** The JSON to store for `object`. */
export function sealObject(transformer: ValueTransformer, object: Json, context: string): Json {
  const meta = isObject(object.metadata) ? object.metadata : {};
  const { resourceVersion: _rv, ...innerMeta } = meta;
  const inner = { ...object, metadata: innerMeta };
  const sealed = transformer.toStorage(Buffer.from(JSON.stringify(inner), 'utf8'), context);
  const clear: Json = {};
  for (const k of CLEAR_METADATA) if (meta[k] !== undefined) clear[k] = meta[k];
  return {
    ...(object.apiVersion !== undefined ? { apiVersion: object.apiVersion } : {}),
    ...(object.kind !== undefined ? { kind: object.kind } : {}),
    metadata: clear,
    [SEALED_FIELD]: sealed.toString('base64'),
  };
}

/**
 * The object a stored JSON value holds, with the clear `metadata.resourceVersion` (which
 * the store sets in SQL). `stale`: written under an older key, or not encrypted at all
 * (only accepted when the transformer allows plaintext reads) — rewrite it.
 */
export function openObject(
  transformer: ValueTransformer,
  stored: unknown,
  context: string,
): { object: Json; stale: boolean } {
  if (!isObject(stored)) throw new EncryptionError('stored object is not a JSON object');
  if (!isSealedObject(stored)) {
    // Plaintext: the transformer decides whether that is acceptable.
    transformer.fromStorage(Buffer.from(JSON.stringify(stored), 'utf8'), context);
    return { object: stored, stale: true };
  }
  const { plaintext, stale } = transformer.fromStorage(
    Buffer.from(stored[SEALED_FIELD] as string, 'base64'),
    context,
  );
  let inner: unknown;
  try {
    inner = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new EncryptionError('decrypted object is not JSON');
  }
  if (!isObject(inner)) throw new EncryptionError('decrypted object is not a JSON object');
  const clearMeta = isObject(stored.metadata) ? stored.metadata : {};
  const meta = isObject(inner.metadata) ? inner.metadata : {};
  const object = {
    ...inner,
    metadata:
      clearMeta.resourceVersion !== undefined
        ? { ...meta, resourceVersion: clearMeta.resourceVersion }
        : meta,
  };
  return { object, stale };
}
