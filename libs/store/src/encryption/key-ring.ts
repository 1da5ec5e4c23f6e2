/**
 * A value transformer for the store, like kube-apiserver's encryption-config provider
 * list with `aesgcm` keys: the first key encrypts every write, every key is tried (by the
 * name in the value's prefix) on reads, so keys can be rotated by adding the new one
 * first, rewriting the rows, and then dropping the old one.
 */
import { AES_GCM_PREFIX, EncryptionError, assertKey, openAesGcm, sealAesGcm } from './aes-gcm';
import type { AesGcmKey } from './aes-gcm';

export interface ValueTransformer {
  /** The name of the key new writes use, when it has one. */
  readonly primaryKeyName?: string;
  /** Plaintext → what is stored. `context` (the storage key) is authenticated, not stored. */
  toStorage(plaintext: Buffer, context: string): Buffer;
  /** Stored → plaintext, and whether the value should be rewritten (not under the first key). */
  fromStorage(stored: Buffer, context: string): { plaintext: Buffer; stale: boolean };
}

export interface KeyRingOptions {
  /**
   * Accept values that have no `k8s:enc:` prefix as plaintext (reported stale, so a
   * rewrite encrypts them) — apiserver's `identity` provider listed after the keys, for
   * rows written before encryption was turned on. Off by default.
   */
  allowPlaintextReads?: boolean;
}

const ENC_PREFIX = Buffer.from('k8s:enc:', 'ascii');
const AES_PREFIX = Buffer.from(AES_GCM_PREFIX, 'ascii');

export class KeyRing implements ValueTransformer {
  private readonly byName: Map<string, AesGcmKey>;
  private readonly writeKey: AesGcmKey;

  constructor(
    keys: readonly AesGcmKey[],
    private readonly options: KeyRingOptions = {},
  ) {
    if (keys.length === 0)
      throw new EncryptionError('an encryption key ring needs at least one key');
    this.byName = new Map();
    for (const key of keys) {
      assertKey(key);
      if (this.byName.has(key.name))
        throw new EncryptionError(`encryption key name ${JSON.stringify(key.name)} is given twice`);
      this.byName.set(key.name, key);
    }
    this.writeKey = keys[0]!;
  }

  /** The name of the key new writes use. */
  get primaryKeyName(): string {
    return this.writeKey.name;
  }

  get keyNames(): string[] {
    return [...this.byName.keys()];
  }

  toStorage(plaintext: Buffer, context: string): Buffer {
    return sealAesGcm(this.writeKey, plaintext, Buffer.from(context, 'utf8'));
  }

  fromStorage(stored: Buffer, context: string): { plaintext: Buffer; stale: boolean } {
    if (!startsWith(stored, ENC_PREFIX)) {
      if (this.options.allowPlaintextReads) return { plaintext: stored, stale: true };
      throw new EncryptionError(
        'stored value is not encrypted (no k8s:enc: prefix) and plaintext reads are not allowed',
      );
    }
    if (!startsWith(stored, AES_PREFIX)) {
      const end = stored.indexOf(':', ENC_PREFIX.length + 1);
      const provider = stored.subarray(0, end === -1 ? 24 : end).toString('latin1');
      throw new EncryptionError(
        `stored value uses encryption provider ${JSON.stringify(provider)}; only ${AES_GCM_PREFIX} is supported`,
      );
    }
    const colon = stored.indexOf(':', AES_PREFIX.length);
    if (colon === -1) {
      throw new EncryptionError(`stored value has a ${AES_GCM_PREFIX} prefix but no key name`);
    }
    const name = stored.subarray(AES_PREFIX.length, colon).toString('latin1');
    const key = this.byName.get(name);
    if (!key) {
      throw new EncryptionError(
        `stored value was encrypted with key ${JSON.stringify(name)}, which is not configured (configured keys: ${this.keyNames.join(', ')})`,
      );
    }
    const plaintext = openAesGcm(key, stored.subarray(colon + 1), Buffer.from(context, 'utf8'));
    return { plaintext, stale: key !== this.writeKey };
  }
}

/** Whether `value` is in the encrypted format (any `k8s:enc:` provider). */
export function isEncrypted(value: Buffer): boolean {
  return startsWith(value, ENC_PREFIX);
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.length >= prefix.length && value.subarray(0, prefix.length).equals(prefix);
}
