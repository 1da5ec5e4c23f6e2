/**
 * A tiny protobuf encoder for the specs (the server never encodes protobuf), plus shared
 * assertions. Not exported from the module.
 */
import { ApiError } from '../api/status';

export type Bytes = number[];

export function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);

/** One encoded field each; concatenate them (or pass them to `message`) to build a message. */
export const pb = {
  /** int32/int64/enum; negative numbers take ten bytes, as in Go. */
  int: (field: number, v: number | bigint): Bytes => [...tag(field, 0), ...varint(v)],
  bool: (field: number, v: boolean): Bytes => [...tag(field, 0), ...varint(v ? 1 : 0)],
  bytes: (field: number, data: ArrayLike<number>): Bytes => [
    ...tag(field, 2),
    ...varint(data.length),
    ...Array.from(data),
  ],
  string: (field: number, s: string): Bytes => pb.bytes(field, new TextEncoder().encode(s)),
  message: (field: number, ...parts: Bytes[]): Bytes => pb.bytes(field, parts.flat()),
  fixed32: (field: number): Bytes => [...tag(field, 5), 1, 2, 3, 4],
  fixed64: (field: number): Bytes => [...tag(field, 1), 1, 2, 3, 4, 5, 6, 7, 8],
  /** One `map<string, string>` entry. */
  entry: (field: number, key: string, value: string): Bytes =>
    pb.message(field, pb.string(1, key), pb.string(2, value)),
  /** One `map<string, Quantity>` entry. */
  quantityEntry: (field: number, key: string, value: string): Bytes =>
    pb.message(field, pb.string(1, key), pb.quantity(2, value)),
  quantity: (field: number, s: string): Bytes => pb.message(field, pb.string(1, s)),
  intOrString: (field: number, v: number | string): Bytes =>
    typeof v === 'number'
      ? pb.message(field, pb.int(1, 0), pb.int(2, v))
      : pb.message(field, pb.int(1, 1), pb.string(3, v)),
  time: (field: number, seconds: number): Bytes => pb.message(field, pb.int(1, seconds)),
};

/** A complete body: magic, then `runtime.Unknown{typeMeta, raw, ...extra}`. */
export function k8s(apiVersion: string, kind: string, raw: Bytes, ...extra: Bytes[]): Uint8Array {
  return Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...pb.message(1, pb.string(1, apiVersion), pb.string(2, kind)),
    ...pb.bytes(2, raw),
    ...extra.flat(),
  ]);
}

export function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(Buffer.from(b64, 'base64'));
}

/** Runs `fn`, expects it to throw an ApiError and returns that error. */
export function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw new Error(`expected an ApiError, got ${String(err)}`);
  }
  throw new Error('expected an ApiError, but nothing was thrown');
}

/** Kubernetes' JSON with its `null`s removed (the decoder omits the zero `Time`). */
export function withoutNulls(json: string): unknown {
  return JSON.parse(json, (_key, value: unknown) => (value === null ? undefined : value));
}
