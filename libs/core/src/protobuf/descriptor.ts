/**
 * Message descriptors (field number → JSON name and type; generated from Kubernetes'
 * `generated.proto` and `types.go` files by scripts/gen-protobuf.js into ./generated) and the
 * one routine that turns a protobuf message into the JSON object Kubernetes' own JSON encoding
 * would produce for it.
 *
 * How the Go JSON shape is recovered from the wire (gogo-protobuf, as Kubernetes uses it):
 * - Non-pointer scalar fields are always written, even when zero. Their JSON tags almost all
 *   say `omitempty`, so a zero value is dropped, unless the field is marked `keepZero`.
 * - Pointer fields (`*int32`, `*bool`, `*string`…) are written only when set, so whatever
 *   arrives is kept, zero included (`replicas: 0` matters): they are marked `keepZero` too,
 *   as are the scalar fields whose JSON tag has no `omitempty`.
 * - Struct fields are written whenever their pointer is non-nil (always, for non-pointer
 *   structs) and Go's `omitempty` never drops a struct, so a message on the wire always
 *   becomes an object, `{}` if it is empty (`resources: {}`, `strategy: {}`, `status: {}`).
 *   The same holds for `IntOrString` and `Quantity`, which are structs in Go.
 * - `metav1.Time` and `metav1.MicroTime`: an empty message is the zero time, which JSON
 *   renders as `null`; it is omitted here. Otherwise the seconds become RFC 3339
 *   (`2024-05-01T12:00:00Z`; Kubernetes drops the nanoseconds of `Time` in both encodings),
 *   with six fractional digits for `MicroTime` (`2024-05-01T12:00:00.123456Z`).
 * - `runtime.RawExtension` and `metav1.FieldsV1` carry JSON bytes, which become that JSON.
 * - Repeated fields and maps that have no entries are absent, as `omitempty` would have them.
 * - Embedded structs with `json:",inline"` (`ProbeHandler` in `Probe`, `VolumeSource` in
 *   `Volume`, `LocalObjectReference` in the key selectors) are marked `inline`: their fields
 *   land in the parent object.
 * - A Go named slice (`type ExtraValue []string`) is a message with one `repeated … items = 1`
 *   field on the wire; fields of that type are marked `unwrap`: their JSON is the list alone.
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
  | 'microTime'
  | 'rawJson'
  | 'quantity'
  | 'intOrString';

export interface ProtoField {
  /** The JSON field name (the protobuf one for an `inline` field). */
  readonly name: string;
  readonly type: ProtoFieldType;
  readonly repeated?: boolean;
  /** For `message` fields. */
  readonly message?: ProtoDescriptor;
  /** For `map` fields (`map<string, V>`, entries with key = 1 and value = 2): the value. */
  readonly value?: ProtoField;
  /** Keep a zero scalar (Go pointer field, or a JSON tag without `omitempty`). */
  readonly keepZero?: boolean;
  /** An embedded struct whose fields JSON inlines into the parent. */
  readonly inline?: boolean;
  /** A Go named slice: the JSON value is the message's `items` list. */
  readonly unwrap?: boolean;
}

/** Field number → field. */
export interface ProtoDescriptor {
  readonly [field: number]: ProtoField;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export type JsonRecord = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A scalar field of the messages the decoder knows itself (`Time`, `Quantity`…). */
const scalar = (name: string, type: ProtoFieldType): ProtoField => ({ name, type, keepZero: true });

const TIMESTAMP: ProtoDescriptor = { 1: scalar('seconds', 'int64'), 2: scalar('nanos', 'int32') };
const QUANTITY: ProtoDescriptor = { 1: scalar('string', 'string') };
const INT_OR_STRING: ProtoDescriptor = {
  1: scalar('type', 'int64'),
  2: scalar('intVal', 'int32'),
  3: scalar('strVal', 'string'),
};
const MAP_KEY = scalar('key', 'string');

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
    const [key, value] = readMapEntry(r.buf, start, end, valueOf(spec), where);
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
      const into = spec.unwrap
        ? { items: Array.isArray(existing) ? existing : [] }
        : isRecord(existing)
          ? existing
          : {};
      const decoded = decodeMessage(r.buf, start, end, messageOf(spec), where, into);
      target[spec.name] = spec.unwrap ? decoded.items : decoded;
    }
    return;
  }

  const value = readValue(r, spec, wire, where, at);
  if (value === undefined || (!spec.keepZero && isScalarType(spec.type) && isZeroScalar(value))) {
    delete target[spec.name];
  } else target[spec.name] = value;
}

/** One value of a non-map field; `undefined` for the zero `Time` and an empty `RawExtension`. */
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
    case 'message': {
      const decoded = decodeMessage(r.buf, start, end, messageOf(spec), where);
      return spec.unwrap ? (decoded.items ?? []) : decoded;
    }
    case 'time':
      return decodeTime(r.buf, start, end, where, false);
    case 'microTime':
      return decodeTime(r.buf, start, end, where, true);
    case 'rawJson':
      return decodeRawJson(r.buf, start, end, where);
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
  valueSpec: ProtoField,
  where: string,
): [string, unknown] {
  const entry = decodeMessage(buf, start, end, { 1: MAP_KEY, 2: valueSpec }, where);
  const key = typeof entry.key === 'string' ? entry.key : '';
  // An entry without a value holds the value type's zero.
  return [key, Object.hasOwn(entry, 'value') ? entry.value : zeroOf(valueSpec)];
}

/** The JSON of a Go zero value of a map's value type. */
function zeroOf(spec: ProtoField): unknown {
  if (spec.unwrap) return null;
  switch (spec.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'int32':
    case 'int64':
      return 0;
    case 'bool':
      return false;
    case 'quantity':
      return '0';
    case 'intOrString':
      return 0;
    case 'message':
      return {};
    default:
      return null;
  }
}

function valueOf(spec: ProtoField): ProtoField {
  return spec.value ?? MAP_STRING_VALUE;
}

const MAP_STRING_VALUE = scalar('value', 'string');

function decodeTime(buf: Uint8Array, start: number, end: number, where: string, micro: boolean) {
  // Kubernetes writes the zero time as an empty message (`metav1.Time.Marshal`).
  if (start === end) return undefined;
  const ts = decodeMessage(buf, start, end, TIMESTAMP, where);
  const nanos = typeof ts.nanos === 'number' ? ts.nanos : 0;
  // Go's time.Unix(seconds, nanos) carries nanoseconds outside [0, 1e9) into the seconds.
  const seconds = (typeof ts.seconds === 'number' ? ts.seconds : 0) + Math.floor(nanos / 1e9);
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  // Go's Time.MarshalJSON refuses years outside [0, 9999].
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw malformed(`timestamp ${seconds} is out of range`, where, start);
  }
  const text = date.toISOString().replace(/\.\d{3}Z$/, '');
  if (!micro) return `${text}Z`;
  // RFC3339Micro: always six digits, truncated as Go's Format does.
  const micros = Math.floor((((nanos % 1e9) + 1e9) % 1e9) / 1e3);
  return `${text}.${String(micros).padStart(6, '0')}Z`;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeRawJson(buf: Uint8Array, start: number, end: number, where: string) {
  const r = new Reader(buf, where, start, end);
  let raw: Uint8Array | undefined;
  while (!r.done) {
    const at = r.pos;
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    if (wire !== WireType.LengthDelimited) {
      throw r.fail(`field raw (bytes) arrived as ${wireTypeName(wire)}`, at);
    }
    const slice = r.slice();
    raw = buf.subarray(slice.start, slice.end);
  }
  // A nil (or empty) Raw marshals to JSON null: omitted, as the zero time is.
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8Strict.decode(raw)) as unknown;
  } catch {
    throw malformed('the embedded object is not JSON', where, start);
  }
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
