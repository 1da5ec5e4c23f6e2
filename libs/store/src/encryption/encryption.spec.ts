import { createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EncryptionError,
  KeyRing,
  isEncrypted,
  parseEncryptionKeys,
  formatEncryptionKeys,
} from '.';
import { generateEncryptionKey, readOrCreateKeyFile, resolveEncryptionKeys } from './keys';

const k1 = { name: 'k1', secret: Buffer.alloc(32, 1) };
const k2 = { name: 'k2', secret: Buffer.alloc(32, 2) };
const CTX = '/registry/secrets/default/db';

describe('KeyRing (aesgcm envelope)', () => {
  it('writes k8s:enc:aesgcm:v1:<name>: + 12-byte nonce + ciphertext + 16-byte tag', () => {
    const plaintext = Buffer.from('{"data":{"password":"aHVudGVyMg=="}}');
    const out = new KeyRing([k1]).toStorage(plaintext, CTX);
    const prefix = 'k8s:enc:aesgcm:v1:k1:';
    expect(out.subarray(0, prefix.length).toString('ascii')).toBe(prefix);
    expect(out.length).toBe(prefix.length + 12 + plaintext.length + 16);
    // Decrypt independently of the module, by the documented layout and the storage key as AAD.
    const rest = out.subarray(prefix.length);
    const d = createDecipheriv('aes-256-gcm', k1.secret, rest.subarray(0, 12));
    d.setAAD(Buffer.from(CTX));
    d.setAuthTag(rest.subarray(rest.length - 16));
    const clear = Buffer.concat([d.update(rest.subarray(12, rest.length - 16)), d.final()]);
    expect(clear.equals(plaintext)).toBe(true);
  });

  it('round-trips, empty and binary values included, and reports the value fresh', () => {
    const ring = new KeyRing([k1]);
    for (const p of [Buffer.alloc(0), Buffer.from('x'), randomBytes(70_000)]) {
      const { plaintext, stale } = ring.fromStorage(ring.toStorage(p, CTX), CTX);
      expect(plaintext.equals(p)).toBe(true);
      expect(stale).toBe(false);
    }
  });

  it('puts no plaintext in the output and uses a fresh nonce each time', () => {
    const ring = new KeyRing([k1]);
    const secret = 'super-secret-password-1234567890';
    const a = ring.toStorage(Buffer.from(secret), CTX);
    const b = ring.toStorage(Buffer.from(secret), CTX);
    expect(a.includes(Buffer.from(secret))).toBe(false);
    expect(a.includes(Buffer.from(secret.slice(0, 8)))).toBe(false);
    expect(a.includes(Buffer.from(Buffer.from(secret).toString('base64').slice(0, 12)))).toBe(
      false,
    );
    expect(a.equals(b)).toBe(false);
    expect(isEncrypted(a)).toBe(true);
    expect(isEncrypted(Buffer.from('{"kind":"Secret"}'))).toBe(false);
  });

  it('detects tampering anywhere after the prefix', () => {
    const ring = new KeyRing([k1]);
    const out = ring.toStorage(Buffer.from('hello world'), CTX);
    const prefixLen = 'k8s:enc:aesgcm:v1:k1:'.length;
    for (const at of [prefixLen, prefixLen + 11, prefixLen + 12, out.length - 17, out.length - 1]) {
      const bad = Buffer.from(out);
      bad[at] = bad[at]! ^ 0x01;
      expect(() => ring.fromStorage(bad, CTX)).toThrow(/key "k1" failed authentication/);
    }
    expect(() => ring.fromStorage(out.subarray(0, out.length - 1), CTX)).toThrow(EncryptionError);
    expect(() => ring.fromStorage(out.subarray(0, prefixLen + 20), CTX)).toThrow(/truncated/);
  });

  it('binds the storage key: a value moved to another row does not decrypt', () => {
    const ring = new KeyRing([k1]);
    const out = ring.toStorage(Buffer.from('hello'), CTX);
    expect(() => ring.fromStorage(out, '/registry/secrets/default/other')).toThrow(
      /failed authentication/,
    );
  });

  it('rotates: the first key encrypts, older keys still decrypt (reported stale)', () => {
    const old = new KeyRing([k1]).toStorage(Buffer.from('v1'), CTX);
    const rotated = new KeyRing([k2, k1]);
    expect(rotated.fromStorage(old, CTX)).toEqual({ plaintext: Buffer.from('v1'), stale: true });
    const fresh = rotated.toStorage(Buffer.from('v2'), CTX);
    expect(fresh.subarray(0, 21).toString()).toBe('k8s:enc:aesgcm:v1:k2:');
    expect(rotated.fromStorage(fresh, CTX).stale).toBe(false);
    // Once k1 is dropped, its values name the missing key.
    expect(() => new KeyRing([k2]).fromStorage(old, CTX)).toThrow(
      'stored value was encrypted with key "k1", which is not configured (configured keys: k2)',
    );
  });

  it('a key with the right name but another secret fails authentication', () => {
    const out = new KeyRing([k1]).toStorage(Buffer.from('x'), CTX);
    const impostor = { name: 'k1', secret: Buffer.alloc(32, 9) };
    expect(() => new KeyRing([impostor]).fromStorage(out, CTX)).toThrow(/failed authentication/);
  });

  it('refuses plaintext unless allowed, then reads it as stale', () => {
    const plain = Buffer.from('{"kind":"Secret"}');
    expect(() => new KeyRing([k1]).fromStorage(plain, CTX)).toThrow(/not encrypted/);
    expect(new KeyRing([k1], { allowPlaintextReads: true }).fromStorage(plain, CTX)).toEqual({
      plaintext: plain,
      stale: true,
    });
    expect(() => new KeyRing([k1]).fromStorage(Buffer.from('k8s:enc:kms:v2:x:abc'), CTX)).toThrow(
      /provider "k8s:enc:kms"/,
    );
  });

  it.each([
    [[], /at least one key/],
    [[{ name: 'k1', secret: Buffer.alloc(16) }], /16 bytes; AES-256-GCM needs 32/],
    [[{ name: 'a:b', secret: Buffer.alloc(32) }], /invalid encryption key name "a:b"/],
    [[k1, { ...k2, name: 'k1' }], /"k1" is given twice/],
  ])('rejects a bad ring %#', (keys, message) => {
    expect(() => new KeyRing(keys)).toThrow(message);
  });
});

describe('parseEncryptionKeys', () => {
  const b64 = (fill: number) => Buffer.alloc(32, fill).toString('base64');

  it('reads name:base64 entries in order, separated by commas or newlines', () => {
    const keys = parseEncryptionKeys(` new:${b64(2)} ,old:${b64(1)}\nolder:${b64(3)}\n`);
    expect(keys.map((k) => k.name)).toEqual(['new', 'old', 'older']);
    expect(keys[1]!.secret.equals(Buffer.alloc(32, 1))).toBe(true);
    expect(parseEncryptionKeys(formatEncryptionKeys(keys))).toEqual(keys);
  });

  it.each([
    ['', 'BERTH_ENCRYPTION_KEY: no encryption key given'],
    [b64(1), "BERTH_ENCRYPTION_KEY: entry 1 is not <name>:<base64 key> (no ':' found)"],
    [`:${b64(1)}`, 'invalid key name ""'],
    [`-k:${b64(1)}`, 'invalid key name "-k"'],
    [`k:${b64(1)},k:${b64(2)}`, 'key name "k" is given twice'],
    ['k:not base64!', 'key "k" is not valid base64'],
    [`k:${Buffer.alloc(16).toString('base64')}`, 'decodes to 16 bytes; AES-256-GCM needs 32'],
  ])('rejects %j', (text, message) => {
    expect(() => parseEncryptionKeys(text)).toThrow(message);
  });

  it('never echoes key material in errors', () => {
    const secret = Buffer.alloc(31, 7).toString('base64');
    try {
      parseEncryptionKeys(`k:${secret}`);
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe('key file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'berth-keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once with mode 0600 and one 32-byte key, then read back unchanged', () => {
    const data = path.join(dir, 'data');
    const first = readOrCreateKeyFile(data);
    expect(first.created).toBe(true);
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]!.secret).toHaveLength(32);
    const at = path.join(data, 'encryption-key');
    expect(statSync(at).mode & 0o777).toBe(0o600);
    const second = readOrCreateKeyFile(data);
    expect(second.created).toBe(false);
    expect(second.keys).toEqual(first.keys);
    expect(readFileSync(at, 'utf8')).toBe(formatEncryptionKeys(first.keys) + '\n');
  });

  it('refuses a file others can read', () => {
    const at = path.join(dir, 'encryption-key');
    writeFileSync(at, formatEncryptionKeys([generateEncryptionKey()]));
    chmodSync(at, 0o644);
    expect(() => readOrCreateKeyFile(dir)).toThrow(/mode 0644; it must not be accessible/);
  });

  it('the environment value wins over the file', () => {
    const env = formatEncryptionKeys([k2]);
    expect(resolveEncryptionKeys({ envValue: env, dataDir: dir })).toEqual({
      keys: [k2],
      source: 'BERTH_ENCRYPTION_KEY',
    });
    const fromFile = resolveEncryptionKeys({ envValue: '  ', dataDir: dir });
    expect(fromFile.source).toBe(path.join(dir, 'encryption-key'));
    expect(fromFile.keys[0]!.name).toBe('key1');
  });
});
