/**
 * Envelope encryption of stored values with AES-256-GCM, in the format kube-apiserver's
 * `aesgcm` provider writes (k8s.io/apiserver/pkg/storage/value/encrypt/aes):
 *
 *     k8s:enc:aesgcm:v1:<keyName>:<12-byte random nonce><ciphertext><16-byte GCM tag>
 *
 * The prefix is plain ASCII; the rest is binary. The caller's authenticated data (the
 * object's storage key, as apiserver passes its etcd key) is bound into the tag, so a
 * ciphertext copied to another row does not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const AES_GCM_PREFIX = 'k8s:enc:aesgcm:v1:';
/** AES-256: 32-byte keys. */
export const AES_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** A key name: what may stand between the prefix and the next `:` (and in `name:key,…`). */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/;

/** Decryption failed: unknown key, tampered or truncated data, wrong authenticated data. */
export class EncryptionError extends Error {
  override readonly name = 'EncryptionError';
}

export interface AesGcmKey {
  name: string;
  /** 32 bytes. */
  secret: Buffer;
}

export function assertKey(key: AesGcmKey): void {
  if (!KEY_NAME_PATTERN.test(key.name)) {
    throw new EncryptionError(
      `invalid encryption key name ${JSON.stringify(key.name)}: must be 1-63 characters of letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
  if (key.secret.length !== AES_KEY_BYTES) {
    throw new EncryptionError(
      `encryption key ${JSON.stringify(key.name)} is ${key.secret.length} bytes; AES-256-GCM needs ${AES_KEY_BYTES}`,
    );
  }
}

/** The `k8s:enc:aesgcm:v1:<name>:` prefix of values encrypted with key `name`. */
export function keyPrefix(name: string): Buffer {
  return Buffer.from(`${AES_GCM_PREFIX}${name}:`, 'ascii');
}

/** Encrypts `plaintext` with `key`, binding `aad` (may be empty). A fresh nonce each call. */
export function sealAesGcm(key: AesGcmKey, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([keyPrefix(key.name), nonce, body, cipher.getAuthTag()]);
}

/**
 * Decrypts the part after the prefix (`nonce ‖ ciphertext ‖ tag`) with `key`. Throws an
 * `EncryptionError` naming the key when the data is too short or does not authenticate.
 */
export function openAesGcm(key: AesGcmKey, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new EncryptionError(
      `data encrypted with key ${JSON.stringify(key.name)} is truncated: ${sealed.length} bytes, at least ${NONCE_BYTES + TAG_BYTES} expected`,
    );
  }
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.secret, nonce, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new EncryptionError(
      `data encrypted with key ${JSON.stringify(key.name)} failed authentication: it was altered, or belongs to another object, or the key's secret changed`,
    );
  }
}
