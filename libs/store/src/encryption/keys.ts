/**
 * Where the encryption keys come from.
 *
 * Format (the `BERTH_ENCRYPTION_KEY` environment value and the key file alike):
 *
 *     <name>:<base64 of 32 random bytes>[,<name2>:<base64>...]
 *
 * e.g. `k2:q0L1…=,k1:8fX2…=`. Names are 1-63 letters, digits, '-', '_' or '.' (they are
 * written, in clear, into every encrypted value's `k8s:enc:aesgcm:v1:<name>:` prefix).
 * The FIRST key encrypts; all of them decrypt. To rotate: put a new key first, keep the
 * old one after it, rewrite the stored rows (reads of rows under the old key report
 * `stale`), then drop the old key. Whitespace around entries and newlines are ignored,
 * so the file may hold one entry per line. Generate a key with
 * `head -c 32 /dev/urandom | base64`.
 *
 * Without the environment value, the key file `<dataDir>/encryption-key` (mode 0600) is
 * read, and created with one fresh key named `key1` when absent.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AES_KEY_BYTES, EncryptionError, KEY_NAME_PATTERN, assertKey } from './aes-gcm';
import type { AesGcmKey } from './aes-gcm';

export const ENCRYPTION_KEY_ENV = 'BERTH_ENCRYPTION_KEY';
export const ENCRYPTION_KEY_FILE = 'encryption-key';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses `name:base64[,name:base64…]`. `source` names where the text came from, for the
 * error messages (which never include key material).
 */
export function parseEncryptionKeys(text: string, source = ENCRYPTION_KEY_ENV): AesGcmKey[] {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new EncryptionError(`${source}: no encryption key given`);
  const keys: AesGcmKey[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon === -1) {
      throw new EncryptionError(
        `${source}: entry ${i + 1} is not <name>:<base64 key> (no ':' found)`,
      );
    }
    const name = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_NAME_PATTERN.test(name)) {
      throw new EncryptionError(
        `${source}: entry ${i + 1}: invalid key name ${JSON.stringify(name)}: must be 1-63 characters of letters, digits, '-', '_' or '.', starting with a letter or digit`,
      );
    }
    if (seen.has(name)) {
      throw new EncryptionError(`${source}: key name ${JSON.stringify(name)} is given twice`);
    }
    seen.add(name);
    if (!BASE64.test(encoded)) {
      throw new EncryptionError(`${source}: key ${JSON.stringify(name)} is not valid base64`);
    }
    const secret = Buffer.from(encoded, 'base64');
    if (secret.length !== AES_KEY_BYTES) {
      throw new EncryptionError(
        `${source}: key ${JSON.stringify(name)} decodes to ${secret.length} bytes; AES-256-GCM needs ${AES_KEY_BYTES} (generate one with: head -c 32 /dev/urandom | base64)`,
      );
    }
    keys.push({ name, secret });
  });
  return keys;
}

/** The text form of `keys` (inverse of `parseEncryptionKeys`). */
export function formatEncryptionKeys(keys: readonly AesGcmKey[]): string {
  return keys
    .map((k) => {
      assertKey(k);
      return `${k.name}:${k.secret.toString('base64')}`;
    })
    .join(',');
}

export function generateEncryptionKey(name = 'key1'): AesGcmKey {
  const key = { name, secret: randomBytes(AES_KEY_BYTES) };
  assertKey(key);
  return key;
}

/**
 * Reads `<dataDir>/encryption-key`, creating it (mode 0600, one fresh key) when absent.
 * Refuses a file readable or writable by group or others: the key protects every Secret.
 */
export function readOrCreateKeyFile(dataDir: string): { keys: AesGcmKey[]; created: boolean } {
  const at = path.join(dataDir, ENCRYPTION_KEY_FILE);
  let created = false;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key file another process just wrote (losing it loses data).
    writeFileSync(at, formatEncryptionKeys([generateEncryptionKey()]) + '\n', {
      mode: 0o600,
      flag: 'wx',
    });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(at).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new EncryptionError(
      `${at} has mode 0${mode.toString(8)}; it must not be accessible by group or others (chmod 600 it)`,
    );
  }
  return { keys: parseEncryptionKeys(readFileSync(at, 'utf8'), at), created };
}

/**
 * The keys to use: from the environment value when set (non-empty), else from the key
 * file in `dataDir`. The config module calls this once at start-up.
 */
export function resolveEncryptionKeys(input: {
  envValue?: string;
  dataDir: string;
  /** Create the key file when absent (default true; a tool that only reads passes false). */
  create?: boolean;
}): {
  keys: AesGcmKey[];
  source: string;
} {
  if (input.envValue !== undefined && input.envValue.trim() !== '') {
    return { keys: parseEncryptionKeys(input.envValue), source: ENCRYPTION_KEY_ENV };
  }
  const file = path.join(input.dataDir, ENCRYPTION_KEY_FILE);
  if (input.create === false && !existsSync(file))
    throw new EncryptionError(
      `no encryption keys: ${ENCRYPTION_KEY_ENV} is not set and ${file} does not exist (set BERTH_DATA_DIR to the API's data directory, or ${ENCRYPTION_KEY_ENV} to its keys)`,
    );
  const { keys } = readOrCreateKeyFile(input.dataDir);
  return { keys, source: path.join(input.dataDir, ENCRYPTION_KEY_FILE) };
}
