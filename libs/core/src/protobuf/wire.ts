/**
 * The protobuf wire format, read side only: varints, length-delimited slices and skipping of
 * fields nobody asked for. Every malformation becomes a 400 `ApiError`; nothing here loops
 * without consuming at least one byte.
 */
import { ApiError, errors } from '../api/status';

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;

const WIRE_TYPE_NAMES = [
  'varint',
  'fixed64',
  'length-delimited',
  'start-group',
  'end-group',
  'fixed32',
];

export function wireTypeName(wire: number): string {
  return WIRE_TYPE_NAMES[wire] ?? `invalid wire type ${wire}`;
}

/** The largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD_NUMBER = 0x1fffffff;

/** A 400 for a body that is not well-formed protobuf; `where` names the place in the object. */
export function malformed(what: string, where: string, offset: number): ApiError {
  return errors.badRequest(
    `malformed protobuf body: ${what} (in ${where || 'the object'}, at byte ${offset})`,
  );
}

export interface Tag {
  field: number;
  wire: number;
}

/**
 * A cursor over `buf[pos, end)`. Sub-messages get their own reader over their slice, so a
 * length that lies can never make a nested read escape its parent.
 */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string, at = this.pos): ApiError {
    return malformed(what, this.where, at);
  }

  /** An unsigned 64-bit varint. Go accepts (and truncates) up to ten bytes; so do we. */
  varint(): bigint {
    const start = this.pos;
    const first = this.byte(start);
    if (first < 0x80) return BigInt(first);
    let result = BigInt(first & 0x7f);
    let shift = 7n;
    for (let i = 1; i < 10; i++) {
      const b = this.byte(start);
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw this.fail('varint longer than 10 bytes', start);
  }

  /** A varint used as a size or tag: must fit comfortably in a JS number. */
  smallVarint(): number {
    const start = this.pos;
    const v = this.varint();
    if (v > 0xffffffffn) throw this.fail(`value ${v} is too large`, start);
    return Number(v);
  }

  tag(): Tag {
    const start = this.pos;
    const t = this.smallVarint();
    const field = Math.floor(t / 8);
    const wire = t & 7;
    if (field < 1 || field > MAX_FIELD_NUMBER)
      throw this.fail(`invalid field number ${field}`, start);
    return { field, wire };
  }

  /** The bounds of a length-delimited payload; the cursor moves past it. */
  slice(): { start: number; end: number } {
    const at = this.pos;
    const len = this.smallVarint();
    if (len > this.end - this.pos) {
      throw this.fail(`length ${len} runs past the end of the message`, at);
    }
    const start = this.pos;
    this.pos += len;
    return { start, end: this.pos };
  }

  bytes(): Uint8Array {
    const { start, end } = this.slice();
    return this.buf.subarray(start, end);
  }

  /**
   * Skips a field of an unknown number. Groups (deprecated, never used by Kubernetes) are
   * refused.
   */
  skip(wire: number): void {
    const at = this.pos;
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.advance(8, at);
        return;
      case WireType.LengthDelimited:
        this.slice();
        return;
      case WireType.Fixed32:
        this.advance(4, at);
        return;
      default:
        throw this.fail(`unsupported ${wireTypeName(wire)}`, at);
    }
  }

  private advance(n: number, at: number): void {
    if (n > this.end - this.pos) throw this.fail(`truncated ${n}-byte fixed-width value`, at);
    this.pos += n;
  }

  private byte(start: number): number {
    if (this.pos >= this.end) throw this.fail('truncated varint', start);
    return this.buf[this.pos++];
  }
}
