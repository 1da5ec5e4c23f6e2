/**
 * Hostile input: whatever the bytes, the decoder returns a plain JSON object or throws an
 * ApiError (400, or 415 for a kind it does not know), and always terminates.
 */
import { ApiError } from '../api/status';
import { decodeKubernetesProtobuf } from './decode';
import { protobufKinds } from './kinds';
import { CAPTURED_BODIES } from './test-fixtures';
import { fromBase64, k8s } from './test-helpers';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rand: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(rand() * 256));
}

/** Decodes and checks the contract; returns whether it decoded. */
function tryDecode(body: Uint8Array): boolean {
  let result: unknown;
  try {
    result = decodeKubernetesProtobuf(body);
  } catch (err) {
    if (!(err instanceof ApiError)) {
      throw new Error(`non-ApiError for ${Buffer.from(body).toString('base64')}: ${String(err)}`);
    }
    expect([400, 415]).toContain(err.code);
    return false;
  }
  expect(typeof result).toBe('object');
  // Plain JSON: serialisable (no BigInt) and unchanged by a round trip.
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  return true;
}

const captured = CAPTURED_BODIES.map(fromBase64);

describe('decodeKubernetesProtobuf on hostile input', () => {
  it('survives every truncation of every captured kubectl body', () => {
    for (const body of captured) {
      for (let n = 0; n < body.length; n++) tryDecode(body.subarray(0, n));
    }
  });

  it('survives random mutations of captured bodies', () => {
    const rand = prng(20240501);
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const body = Array.from(captured[i % captured.length]);
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = 4 + Math.floor(rand() * (body.length - 4));
        const op = rand();
        if (op < 0.5) body[at] = Math.floor(rand() * 256);
        else if (op < 0.75) body.splice(at, 0, ...randomBytes(rand, 1 + Math.floor(rand() * 4)));
        else body.splice(at, 1 + Math.floor(rand() * 4));
      }
      if (tryDecode(Uint8Array.from(body))) decoded++;
    }
    // Some mutations only touch string contents; the rest must fail cleanly.
    expect(decoded).toBeGreaterThan(0);
  });

  it('survives random bytes, with and without the magic', () => {
    const rand = prng(7);
    for (let i = 0; i < 3000; i++) {
      const tail = randomBytes(rand, Math.floor(rand() * 64));
      tryDecode(Uint8Array.from(tail));
      tryDecode(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...tail]));
    }
  });

  it('survives random bytes as the object of every supported kind', () => {
    const rand = prng(42);
    const kinds = protobufKinds();
    // About 12,000 bodies in all (a few seconds), spread over the ~270 generated kinds.
    const perKind = Math.max(40, Math.ceil(12_000 / kinds.length));
    for (const { apiVersion, kind } of kinds) {
      for (let i = 0; i < perKind; i++) {
        tryDecode(k8s(apiVersion, kind, randomBytes(rand, 1 + Math.floor(rand() * 48))));
      }
    }
  });

  it('refuses absurd lengths without allocating or looping', () => {
    const huge = [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]; // spec, 2^32 - 1 bytes
    expect(tryDecode(k8s('apps/v1', 'Deployment', huge))).toBe(false);
    // 150 kB of unknown fields is skipped in one linear pass.
    const many = Array.from({ length: 50_000 }, () => [0xf8, 0x01, 0x00]).flat();
    expect(tryDecode(k8s('v1', 'Pod', many))).toBe(true);
  });
});
