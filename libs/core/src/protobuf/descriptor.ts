/**
 * Message descriptors (field number → JSON name and type, copied by hand from Kubernetes'
 * `generated.proto` files) and the one routine that turns a protobuf message into the JSON
 * object Kubernetes' own JSON encoding would produce for it.
 *
 * How the Go JSON shape is recovered from the wire (gogo-protobuf, as Kubernetes uses it):
 * - Non-pointer scalar fields are always written, even when zero. Their JSON tags almost all
 *   say `omitempty`, so a zero value is dropped, unless the field is marked `keepZero`.
 * - Pointer fields (`*int32`, `*bool`, `*string`…) are written only when set, so whatever
 *   arrives is kept, zero included (`replicas: 0` matters): they are marked `keepZero` too,
 *   as are the few scalar fields whose JSON tag has no `omitempty`.
 * - Struct fields are written whenever their pointer is non-nil (always, for non-pointer
 *   structs) and Go's `omitempty` never drops a struct, so a message on the wire always
 *   becomes an object, `{}` if it is empty (`resources: {}`, `strategy: {}`, `status: {}`).
 *   The same holds for `IntOrString` and `Quantity`, which are structs in Go.
 * - `metav1.Time`: an empty message is the zero time, which JSON renders as `null`; it is
 *   omitted here. Otherwise the seconds become RFC 3339 (`2024-05-01T12:00:00Z`); Kubernetes
 *   drops the nanoseconds of `Time` in both encodings.
 * - Repeated fields and maps that have no entries are absent, as `omitempty` would have them.
 * - Embedded structs with `json:",inline"` (`ProbeHandler` in `Probe`, `VolumeSource` in
 *   `Volume`, `LocalObjectReference` in the key selectors) are marked `inline`: their fields
 *   land in the parent object.
 * - Unknown field numbers are skipped, as every protobuf reader does for newer clients.
 */
import { malformed, Reader, WireType, wireTypeName } from './wire';

export type ProtoFieldType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'bytes'
  | 'message'
  | 'map'
  | 'time'
  | 'quantity'
  | 'intOrString';

/** Map values in the Kubernetes API are strings, bytes or quantities; keys are strings. */
export type ProtoMapValueType = 'string' | 'bytes' | 'quantity';

export interface ProtoField {
  /** The JSON field name. */
  readonly name: string;
  readonly type: ProtoFieldType;
  readonly repeated?: boolean;
  /** For `message` fields. */
  readonly message?: ProtoDescriptor;
  /** For `map` fields (`map<string, V>`, entries with key = 1 and value = 2). */
  readonly value?: ProtoMapValueType;
  /** Keep a zero scalar (Go pointer field, or a JSON tag without `omitempty`). */
  readonly keepZero?: boolean;
  /** An embedded struct whose fields JSON inlines into the parent. */
  readonly inline?: boolean;
}

/** Field number → field. */
export interface ProtoDescriptor {
  readonly [field: number]: ProtoField;
}

// ---------------------------------------------------------------------------------------------
// Builders, to keep the tables compact
// ---------------------------------------------------------------------------------------------

type Options = Pick<ProtoField, 'keepZero'>;

/** A Go pointer field: it is on the wire only when set, and then kept even when zero. */
export const POINTER: Options = { keepZero: true };
/** A field whose JSON tag has no `omitempty`: Kubernetes' JSON always shows it. */
export const REQUIRED: Options = { keepZero: true };

export const str = (name: string, o?: Options): ProtoField => ({ name, type: 'string', ...o });
export const int32 = (name: string, o?: Options): ProtoField => ({ name, type: 'int32', ...o });
export const int64 = (name: string, o?: Options): ProtoField => ({ name, type: 'int64', ...o });
export const bool = (name: string, o?: Options): ProtoField => ({ name, type: 'bool', ...o });
export const time = (name: string): ProtoField => ({ name, type: 'time' });
export const quantity = (name: string): ProtoField => ({ name, type: 'quantity' });
export const intOrString = (name: string): ProtoField => ({ name, type: 'intOrString' });
export const msg = (name: string, message: ProtoDescriptor): ProtoField => ({
  name,
  type: 'message',
  message,
});
/** An embedded struct with `json:",inline"`; the name is the protobuf one, for messages. */
export const inline = (name: string, message: ProtoDescriptor): ProtoField => ({
  name,
  type: 'message',
  message,
  inline: true,
});
export const strings = (name: string): ProtoField => ({ name, type: 'string', repeated: true });
export const int64s = (name: string): ProtoField => ({ name, type: 'int64', repeated: true });
export const list = (name: string, message: ProtoDescriptor): ProtoField => ({
  name,
  type: 'message',
  repeated: true,
  message,
});
export const stringMap = (name: string): ProtoField => ({ name, type: 'map', value: 'string' });
export const bytesMap = (name: string): ProtoField => ({ name, type: 'map', value: 'bytes' });
export const quantityMap = (name: string): ProtoField => ({ name, type: 'map', value: 'quantity' });

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export type JsonRecord = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

const TIMESTAMP: ProtoDescriptor = { 1: int64('seconds', REQUIRED), 2: int32('nanos', REQUIRED) };
const QUANTITY: ProtoDescriptor = { 1: str('string', REQUIRED) };
const INT_OR_STRING: ProtoDescriptor = {
  1: int64('type', REQUIRED),
  2: int32('intVal', REQUIRED),
  3: str('strVal', REQUIRED),
};

/**
 * Decodes the message in `buf[start, end)` with `desc` into `target` (a fresh object by
 * default) and returns it. `where` names the place for error messages (`spec.template`).
 */
export function decodeMessage(
  buf: Uint8Array,
  start: number,
  end: number,
  desc: ProtoDescriptor,
  where: string,
  target: JsonRecord = {},
): JsonRecord {
  const r = new Reader(buf, where, start, end);
  while (!r.done) {
    const at = r.pos;
    const { field, wire } = r.tag();
    const spec = Object.hasOwn(desc, field) ? desc[field] : undefined;
    if (!spec) r.skip(wire);
    else readField(r, spec, wire, target, at);
  }
  return target;
}

function readField(r: Reader, spec: ProtoField, wire: number, target: JsonRecord, at: number) {
  const where = join(r.where, spec.name);

  if (spec.type === 'map') {
    expectWire(r, spec, wire, WireType.LengthDelimited, at);
    const existing = target[spec.name];
    const map = isRecord(existing) ? existing : {};
    const { start, end } = r.slice();
    const [key, value] = readMapEntry(r.buf, start, end, spec.value ?? 'string', where);
    setOwn(map, key, value);
    target[spec.name] = map;
    return;
  }

  if (spec.repeated) {
    const existing = target[spec.name];
    const items = Array.isArray(existing) ? existing : [];
    target[spec.name] = items;
    if (isVarintType(spec.type) && wire === WireType.LengthDelimited) {
      // Packed encoding (proto3 style); Kubernetes' proto2 messages never use it, but a
      // reader is expected to accept both.
      const { start, end } = r.slice();
      const packed = new Reader(r.buf, where, start, end);
      while (!packed.done) items.push(varintValue(packed, spec, `${where}[${items.length}]`));
      return;
    }
    items.push(readValue(r, spec, wire, `${where}[${items.length}]`, at) ?? null);
    return;
  }

  if (spec.type === 'message') {
    expectWire(r, spec, wire, WireType.LengthDelimited, at);
    const { start, end } = r.slice();
    if (spec.inline) {
      decodeMessage(r.buf, start, end, messageOf(spec), r.where, target);
    } else {
      // A repeated occurrence of a singular message merges into the first, as in protobuf.
      const existing = target[spec.name];
      target[spec.name] = decodeMessage(
        r.buf,
        start,
        end,
        messageOf(spec),
        where,
        isRecord(existing) ? existing : {},
      );
    }
    return;
  }

  const value = readValue(r, spec, wire, where, at);
  if (value === undefined || (!spec.keepZero && isScalarType(spec.type) && isZeroScalar(value))) {
    delete target[spec.name];
  } else target[spec.name] = value;
}

/** One value of a non-map field; `undefined` for the zero `Time`. */
function readValue(r: Reader, spec: ProtoField, wire: number, where: string, at: number): unknown {
  if (isVarintType(spec.type)) {
    expectWire(r, spec, wire, WireType.Varint, at);
    return varintValue(r, spec, where);
  }
  expectWire(r, spec, wire, WireType.LengthDelimited, at);
  const { start, end } = r.slice();
  switch (spec.type) {
    case 'string':
      return utf8.decode(r.buf.subarray(start, end));
    case 'bytes':
      return base64(r.buf.subarray(start, end));
    case 'message':
      return decodeMessage(r.buf, start, end, messageOf(spec), where);
    case 'time':
      return decodeTime(r.buf, start, end, where);
    case 'quantity':
      return decodeQuantity(r.buf, start, end, where);
    case 'intOrString':
      return decodeIntOrString(r.buf, start, end, where);
    default:
      throw malformed(`field type ${spec.type} cannot be read here`, where, at);
  }
}

function varintValue(r: Reader, spec: ProtoField, where: string): number | boolean {
  const at = r.pos;
  const v = r.varint();
  switch (spec.type) {
    case 'bool':
      return v !== 0n;
    case 'int32':
      // Go converts with int32(v): the low 32 bits, signed.
      return Number(BigInt.asIntN(32, v));
    default: {
      const n = BigInt.asIntN(64, v);
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw malformed(`integer ${n} in ${spec.name} is too large for JSON`, where, at);
      }
      return Number(n);
    }
  }
}

function readMapEntry(
  buf: Uint8Array,
  start: number,
  end: number,
  valueType: ProtoMapValueType,
  where: string,
): [string, unknown] {
  const entry = decodeMessage(buf, start, end, mapEntry(valueType), where);
  const key = typeof entry.key === 'string' ? entry.key : '';
  // An entry without a value holds the value type's zero.
  const zero = valueType === 'quantity' ? '0' : '';
  return [key, entry.value ?? zero];
}

const MAP_ENTRIES: Record<ProtoMapValueType, ProtoDescriptor> = {
  string: { 1: str('key', REQUIRED), 2: str('value', REQUIRED) },
  bytes: { 1: str('key', REQUIRED), 2: { name: 'value', type: 'bytes', keepZero: true } },
  quantity: { 1: str('key', REQUIRED), 2: quantity('value') },
};

function mapEntry(valueType: ProtoMapValueType): ProtoDescriptor {
  return MAP_ENTRIES[valueType] ?? MAP_ENTRIES.string;
}

function decodeTime(buf: Uint8Array, start: number, end: number, where: string) {
  // Kubernetes writes the zero time as an empty message (`metav1.Time.Marshal`).
  if (start === end) return undefined;
  const ts = decodeMessage(buf, start, end, TIMESTAMP, where);
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : 0;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  // Go's Time.MarshalJSON refuses years outside [0, 9999].
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw malformed(`timestamp ${seconds} is out of range`, where, start);
  }
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeQuantity(buf: Uint8Array, start: number, end: number, where: string) {
  const q = decodeMessage(buf, start, end, QUANTITY, where);
  return typeof q.string === 'string' ? q.string : '0';
}

function decodeIntOrString(buf: Uint8Array, start: number, end: number, where: string) {
  const v = decodeMessage(buf, start, end, INT_OR_STRING, where);
  const type = typeof v.type === 'number' ? v.type : 0;
  if (type === 0) return typeof v.intVal === 'number' ? v.intVal : 0;
  if (type === 1) return typeof v.strVal === 'string' ? v.strVal : '';
  throw malformed(`IntOrString has unknown type ${type}`, where, start);
}

function expectWire(r: Reader, spec: ProtoField, wire: number, want: number, at: number): void {
  if (wire !== want) {
    const got = wireTypeName(wire);
    throw r.fail(
      `field ${spec.name} (${spec.type}) arrived as ${got}, expected ${wireTypeName(want)}`,
      at,
    );
  }
}

function messageOf(spec: ProtoField): ProtoDescriptor {
  return spec.message ?? {};
}

function isVarintType(type: ProtoFieldType): boolean {
  return type === 'int32' || type === 'int64' || type === 'bool';
}

/** The types Go's `omitempty` can drop; IntOrString and Quantity are structs, Time is separate. */
function isScalarType(type: ProtoFieldType): boolean {
  return type === 'string' || type === 'bytes' || isVarintType(type);
}

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property even for `__proto__`, as `JSON.parse` would. */
function setOwn(o: JsonRecord, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function join(where: string, name: string): string {
  return where ? `${where}.${name}` : name;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
