/**
 * Exact Kubernetes resource quantities (`100m`, `1.5Gi`, `1e3`), following the semantics of
 * k8s.io/apimachinery `resource.Quantity`: values are kept exactly (as a bigint count of
 * nano-units), never as floating point, and print in Kubernetes' canonical form.
 *
 * Deliberate differences from Kubernetes, all on inputs nobody writes on purpose:
 * - a number part without any digit (`Gi`, `.`, `+`, `-Ki`) is rejected; Kubernetes reads
 *   it as zero;
 * - inputs longer than {@link MAX_QUANTITY_LENGTH} characters are rejected;
 * - magnitudes of 10^{@link MAX_DECIMAL_EXPONENT} or more are rejected instead of being
 *   carried (Kubernetes would silently wrap an exponent that does not fit in an int32);
 * - a BinarySI value of 1024Ei or more prints with an `Ei` suffix (Kubernetes loses the
 *   suffix there). Parsing still caps BinarySI inputs at 2^63-1 like Kubernetes does.
 */

import type { StatusCause } from '../api/status';
import { fieldErrors } from '../validation/field-errors';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Longest accepted input, in characters. */
export const MAX_QUANTITY_LENGTH = 100;
/** Largest accepted magnitude is just below 10^MAX_DECIMAL_EXPONENT. */
export const MAX_DECIMAL_EXPONENT = 1000;

/** The regular expression Kubernetes names in its "format wrong" message. */
export const QUANTITY_REGEX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_MESSAGE = `quantities must match the regular expression '${QUANTITY_REGEX}'`;
const NUMERIC_MESSAGE = 'unable to parse numeric part of quantity';
const SUFFIX_MESSAGE = "unable to parse quantity's suffix";

export class QuantityParseError extends Error {
  constructor(
    message: string,
    /** The rejected input, as given (numbers converted to strings). */
    readonly input: string,
  ) {
    super(message);
    this.name = 'QuantityParseError';
  }
}

const NANO_PER_UNIT = 1_000_000_000n;
const NANO_PER_MILLI = 1_000_000n;
/** Kubernetes caps BinarySI quantities at the largest int64, in whole units. */
const MAX_BINARY_NANO = ((1n << 63n) - 1n) * NANO_PER_UNIT;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_SUFFIX_BY_EXPONENT = new Map<number, string>(
  Object.entries(DECIMAL_SUFFIXES).map(([suffix, exp]) => [exp, suffix]),
);
const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const BINARY_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SUFFIX_LETTERS = 'eEinumkKMGTP';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** n / d rounded away from zero (d > 0). */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (n % d === 0n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

function toBigInt(n: number | bigint, what: string): bigint {
  if (typeof n === 'bigint') return n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new RangeError(`${what} must be a safe integer or a bigint, got ${String(n)}`);
  }
  return BigInt(n);
}

function isFormat(f: unknown): f is QuantityFormat {
  return f === 'DecimalSI' || f === 'BinarySI' || f === 'DecimalExponent';
}

/** An exact, immutable resource quantity. */
export class Quantity {
  private text: string | undefined;

  private constructor(
    private readonly nano: bigint,
    /** How the quantity prints (the suffix family it was written with). */
    readonly format: QuantityFormat,
  ) {}

  /** A quantity of `n` nano-units (10^-9). */
  static fromNano(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(n, 'nano value'), isFormat(format) ? format : 'DecimalExponent');
  }

  /** A quantity of `m` thousandths, like Kubernetes' NewMilliQuantity. */
  static fromMilli(m: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.fromNano(toBigInt(m, 'milli value') * NANO_PER_MILLI, format);
  }

  /** A quantity of `v` whole units, like Kubernetes' NewQuantity. */
  static fromValue(v: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.fromNano(toBigInt(v, 'value') * NANO_PER_UNIT, format);
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  /** The exact value in nano-units. */
  nanoValue(): bigint {
    return this.nano;
  }

  /** The value in thousandths, rounded away from zero (Kubernetes' MilliValue). */
  milliValue(): bigint {
    return divAwayFromZero(this.nano, NANO_PER_MILLI);
  }

  /** The value in whole units, rounded away from zero (Kubernetes' Value): 1500m → 2. */
  value(): bigint {
    return divAwayFromZero(this.nano, NANO_PER_UNIT);
  }

  isZero(): boolean {
    return this.nano === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nano < 0n ? -1 : this.nano > 0n ? 1 : 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nano < other.nano ? -1 : this.nano > other.nano ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nano === other.nano;
  }

  /** Sum; keeps this quantity's format unless this is zero (then takes the other's), like Kubernetes. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nano + other.nano, this.nano === 0n ? other.format : this.format);
  }

  /** Difference; format chosen as in {@link add}. */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nano - other.nano, this.nano === 0n ? other.format : this.format);
  }

  /** Product with an integer (a safe-integer number or a bigint). */
  mul(n: number | bigint): Quantity {
    return new Quantity(this.nano * toBigInt(n, 'multiplier'), this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nano, this.format);
  }

  /** Same value, printed in another format. */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.nano, format);
  }

  /** Canonical Kubernetes form: `1`, `500m`, `1536Mi`, `1e3`, `-2Gi`. */
  toString(): string {
    if (this.text === undefined) this.text = canonicalize(this.nano, this.format);
    return this.text;
  }

  /** Quantities serialize as their canonical string, as in Kubernetes JSON. */
  toJSON(): string {
    return this.toString();
  }
}

function canonicalize(nano: bigint, format: QuantityFormat): string {
  if (nano === 0n) return '0';
  const negative = nano < 0n;
  const magnitude = abs(nano);
  const sign = negative ? '-' : '';

  // BinarySI only for whole values of at least 1024 in magnitude; anything else would
  // need rounding or would look odd ("1023"), so Kubernetes falls back to DecimalSI.
  if (format === 'BinarySI') {
    if (magnitude >= 1024n * NANO_PER_UNIT && magnitude % NANO_PER_UNIT === 0n) {
      let units = magnitude / NANO_PER_UNIT;
      let power = 0;
      while (power < BINARY_SUFFIX_BY_POWER.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        power++;
      }
      return `${sign}${units}${BINARY_SUFFIX_BY_POWER[power]}`;
    }
    format = 'DecimalSI';
  }

  // Move every factor of ten into the exponent, then lower the exponent to a multiple
  // of three so that it maps onto an SI suffix.
  let mantissa = magnitude;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }

  if (format === 'DecimalSI') {
    const suffix = DECIMAL_SUFFIX_BY_EXPONENT.get(exponent);
    if (suffix !== undefined) return `${sign}${mantissa}${suffix}`;
    // No SI suffix beyond E (10^18): fall back to exponent notation, as Kubernetes does.
  }
  return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
}

interface Scanned {
  negative: boolean;
  intDigits: string;
  fracDigits: string;
  suffix: string;
}

function scan(str: string): Scanned | string {
  let pos = 0;
  let negative = false;
  if (str[0] === '-' || str[0] === '+') {
    negative = str[0] === '-';
    pos++;
  }
  const intStart = pos;
  while (isDigit(str[pos])) pos++;
  const intDigits = str.slice(intStart, pos);
  let fracDigits = '';
  if (str[pos] === '.') {
    pos++;
    const fracStart = pos;
    while (isDigit(str[pos])) pos++;
    fracDigits = str.slice(fracStart, pos);
  }
  if (intDigits.length === 0 && fracDigits.length === 0) return QUANTITY_FORMAT_MESSAGE;

  const suffixStart = pos;
  while (pos < str.length && SUFFIX_LETTERS.includes(str[pos]!)) pos++;
  if (str[pos] === '+' || str[pos] === '-') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos !== str.length) return QUANTITY_FORMAT_MESSAGE;
  return { negative, intDigits, fracDigits, suffix: str.slice(suffixStart) };
}

interface Suffix {
  base: 10 | 2;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | undefined {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined && Object.hasOwn(DECIMAL_SUFFIXES, suffix)) {
    return { base: 10, exponent: dec, format: 'DecimalSI' };
  }
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined && Object.hasOwn(BINARY_SUFFIXES, suffix)) {
    return { base: 2, exponent: bin, format: 'BinarySI' };
  }
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    const exponent = Number(rest);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

function numberToQuantityString(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityParseError(QUANTITY_FORMAT_MESSAGE, String(n));
  return String(n); // e.g. 1e+21 and 1e-7, both valid quantity syntax
}

/**
 * Parses a quantity as Kubernetes does. JS numbers are accepted too (Kubernetes JSON
 * allows `cpu: 2`). Throws {@link QuantityParseError} on invalid input. Surrounding
 * whitespace is not trimmed.
 */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === 'number' ? numberToQuantityString(input) : input;
  if (typeof str !== 'string' || str.length === 0) {
    throw new QuantityParseError(QUANTITY_FORMAT_MESSAGE, String(str));
  }
  if (str.length > MAX_QUANTITY_LENGTH) {
    throw new QuantityParseError(
      `quantity is too long: must be no more than ${MAX_QUANTITY_LENGTH} characters`,
      str,
    );
  }
  const scanned = scan(str);
  if (typeof scanned === 'string') throw new QuantityParseError(scanned, str);
  const suffix = interpretSuffix(scanned.suffix);
  if (!suffix) throw new QuantityParseError(SUFFIX_MESSAGE, str);

  const digits = (scanned.intDigits + scanned.fracDigits).replace(/^0+/, '');
  let format = suffix.format;
  if (digits.length === 0) return Quantity.zero(format);
  if (!Number.isSafeInteger(suffix.exponent)) throw new QuantityParseError(NUMERIC_MESSAGE, str);

  // value = digits × 10^exp10 × 2^exp2
  let mantissa = BigInt(digits);
  let exp10 = -scanned.fracDigits.length;
  if (suffix.base === 10) exp10 += suffix.exponent;
  else mantissa <<= BigInt(suffix.exponent);

  if (exp10 + mantissa.toString().length > MAX_DECIMAL_EXPONENT) {
    throw new QuantityParseError(
      `quantity is too large: its magnitude must be below 1e${MAX_DECIMAL_EXPONENT}`,
      str,
    );
  }

  // Scale to nano-units. Finer precision rounds away from zero, so that asking for any
  // non-zero amount yields at least 1n (Kubernetes' rule).
  const shift = exp10 + 9;
  let nano: bigint;
  if (shift >= 0) {
    nano = mantissa * pow10(shift);
  } else if (-shift > mantissa.toString().length) {
    nano = 1n; // strictly between 0 and 1n
  } else {
    nano = divAwayFromZero(mantissa, pow10(-shift));
  }

  if (format === 'BinarySI') {
    if (nano > MAX_BINARY_NANO) nano = MAX_BINARY_NANO;
    // A fraction of one unit cannot be written in binary suffixes.
    if (nano < NANO_PER_UNIT) format = 'DecimalSI';
  }
  return Quantity.fromNano(scanned.negative ? -nano : nano, format);
}

/** True when `input` is a string (or finite number) that {@link parseQuantity} accepts. */
export function isValidQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/**
 * A quantity field as schema validation needs it: no causes when valid, otherwise one
 * `FieldValueInvalid` cause worded like Kubernetes (`Invalid value: "1GiB": quantities must
 * match the regular expression …`). Pass `nonNegative` for requests, limits and quotas.
 */
export function validateQuantity(
  value: unknown,
  field: string,
  opts: { nonNegative?: boolean } = {},
): StatusCause[] {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return [fieldErrors.typeInvalid(field, value, 'must be a quantity string or number')];
  }
  let q: Quantity;
  try {
    q = parseQuantity(value);
  } catch (e) {
    return [fieldErrors.invalid(field, value, (e as Error).message)];
  }
  if (opts.nonNegative && q.sign() < 0) {
    return [fieldErrors.invalid(field, value, 'must be greater than or equal to 0')];
  }
  return [];
}
