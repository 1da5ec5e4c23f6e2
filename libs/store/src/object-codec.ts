import { EncryptionError } from './encryption/aes-gcm';
import { KeyRing, type ValueTransformer } from './encryption/key-ring';
import { resolveEncryptionKeys } from './encryption/keys';
import { openObject, sealObject, storageContext } from './encryption/sealed-object';
import type { JsonObject, ObjectKey } from './types';

/**
 * Which resources the store encrypts at rest and with what (kube-apiserver's
 * EncryptionConfiguration: a resource list and a provider). The store stays generic: it
 * is told the resources, it names none.
 */
export interface StoreEncryption {
  /** Resources (plural names, e.g. `secrets`) whose rows are sealed. */
  resources: readonly string[];
  /** The key ring: the first key seals, every key opens. */
  transformer: ValueTransformer;
}

/**
 * Turns objects into what the `objects.data` / `changes.object` columns hold and back.
 * Rows of resources not listed pass through unchanged.
 */
export class ObjectCodec {
  private readonly sealed: ReadonlySet<string>;

  constructor(private readonly encryption?: StoreEncryption) {
    this.sealed = new Set(encryption?.resources ?? []);
  }

  /** Whether rows of `resource` are sealed. */
  seals(resource: string): boolean {
    return this.sealed.has(resource);
  }

  get encryptedResources(): string[] {
    return [...this.sealed];
  }

  /** The key new writes are sealed with (undefined when nothing is encrypted). */
  get primaryKeyName(): string | undefined {
    return this.encryption?.transformer.primaryKeyName;
  }

  /** The JSON to store for `object` at `key`. */
  encode(key: ObjectKey, object: JsonObject): JsonObject {
    if (!this.encryption || !this.sealed.has(key.resource)) return object;
    return sealObject(
      this.encryption.transformer,
      object,
      storageContext(key.resource, key.namespace, key.name),
    ) as JsonObject;
  }

  /** The object a stored value holds. Throws EncryptionError (naming the object) if it cannot be opened. */
  decode(key: ObjectKey, stored: JsonObject): JsonObject {
    return this.open(key, stored).object;
  }

  /** Like decode, and whether the value should be rewritten under the first key. */
  open(key: ObjectKey, stored: JsonObject): { object: JsonObject; stale: boolean } {
    if (!this.encryption || !this.sealed.has(key.resource)) return { object: stored, stale: false };
    const context = storageContext(key.resource, key.namespace, key.name);
    try {
      const { object, stale } = openObject(this.encryption.transformer, stored, context);
      return { object: object as JsonObject, stale };
    } catch (err) {
      if (err instanceof EncryptionError) {
        throw new EncryptionError(`cannot decrypt ${context}: ${err.message}`);
      }
      throw err;
    }
  }
}

/** A codec that stores every object as it is. */
export const PLAIN_CODEC = new ObjectCodec();

/**
 * The store's encryption from a process's configuration, resolved once at start-up:
 * keys from `encryptionKey` (BERTH_ENCRYPTION_KEY) when set, else from the key file in
 * `dataDir` (created with a fresh key when absent). Throws EncryptionError on a bad key.
 */
export function storeEncryption(config: {
  encryptionKey: string;
  encryptedResources: readonly string[];
  dataDir: string;
  /** Create the key file when absent (default true). */
  createKeyFile?: boolean;
}): StoreEncryption & { source: string; keyNames: string[] } {
  const { keys, source } = resolveEncryptionKeys({
    envValue: config.encryptionKey,
    dataDir: config.dataDir,
    create: config.createKeyFile,
  });
  return {
    resources: config.encryptedResources,
    transformer: new KeyRing(keys),
    source,
    keyNames: keys.map((k) => k.name),
  };
}
