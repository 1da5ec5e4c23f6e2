/**
 * `StatusCause` builders worded like Kubernetes' `field.Error` kinds, used by the
 * kind-specific `validate()` functions.
 */
import type { StatusCause } from '../api/status';
import { isValidQuantity, parseQuantity, type Quantity } from '../quantity';
import { formatValue, obj } from './util';

export const fe = {
  required: (field: string, detail = ''): StatusCause => ({
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${formatValue(value)}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${formatValue(value)}: supported values: ${[...supported]
      .sort()
      .map((v) => formatValue(v))
      .join(', ')}`,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({
    reason: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${formatValue(value)}`,
  }),
  notFound: (field: string, value: unknown): StatusCause => ({
    reason: 'FieldValueNotFound',
    field,
    message: `Not found: ${formatValue(value)}`,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({
    reason: 'FieldValueForbidden',
    field,
    message: `Forbidden: ${detail}`,
  }),
  /** A list longer than allowed (field.TooMany): `Too many: 20000: must have at most 100 items`. */
  tooMany: (field: string, actual: number, max: number, items = 'items'): StatusCause => ({
    reason: 'FieldValueTooMany',
    field,
    message: `Too many: ${actual}: must have at most ${max} ${items}`,
  }),
};

export const PORT_RANGE = 'must be between 1 and 65535, inclusive';

/** A port number field: integer in 1..65535 (0/absent handled by the caller). */
export function validatePortNumber(port: unknown, field: string): StatusCause[] {
  if (typeof port !== 'number') return [];
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? []
    : [fe.invalid(field, port, PORT_RANGE)];
}

/** `minimum` ≤ value, for integer fields. */
export function validateMin(value: unknown, min: number, field: string): StatusCause[] {
  if (typeof value !== 'number' || value >= min) return [];
  return [fe.invalid(field, value, `must be greater than or equal to ${min}`)];
}

/** A quantity as a `Quantity`, or `undefined` if invalid. */
export function toQuantity(v: unknown): Quantity | undefined {
  if (!isValidQuantity(v)) return undefined;
  try {
    return parseQuantity(v as string | number);
  } catch {
    return undefined;
  }
}

/** Why a quantity is invalid, in Kubernetes' words. */
function quantityError(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return 'must be a quantity';
  try {
    parseQuantity(v);
    return 'invalid quantity';
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid quantity';
  }
}

/**
 * A resource list (`requests`, `limits`, quota `hard`…): every value a valid, non-negative
 * quantity. Returns the parsed quantities of the valid entries.
 */
export function validateResourceList(
  list: unknown,
  field: string,
  causes: StatusCause[],
): Map<string, Quantity> {
  const parsed = new Map<string, Quantity>();
  for (const [key, value] of Object.entries(obj(list))) {
    const at = `${field}[${key}]`;
    if (!isResourceName(key)) {
      causes.push(
        fe.invalid(
          at,
          key,
          'must be a standard resource name (cpu, memory, ephemeral-storage, hugepages-<size>, pods…) or a fully-qualified name (example.com/gpu)',
        ),
      );
      continue;
    }
    const q = toQuantity(value);
    if (!q) {
      causes.push(fe.invalid(at, value, quantityError(value)));
      continue;
    }
    if (q.sign() < 0) {
      causes.push(fe.invalid(at, value, 'must be greater than or equal to 0'));
      continue;
    }
    parsed.set(key, q);
  }
  return parsed;
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A resource name: an optional DNS-subdomain prefix and a name part, like a label key. */
export function isResourceName(key: string): boolean {
  if (key.length === 0 || key.length > 316) return false;
  const slash = key.indexOf('/');
  const namePart = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return namePart.length > 0 && namePart.length <= 63 && NAME_PART.test(namePart);
}

const PERCENT = /^[0-9]+%$/;
const PERCENT_MESSAGE =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/**
 * Validates an int-or-percent field (apps validation's ValidatePositiveIntOrPercent), adding
 * to `causes`; returns its value as a number or a percentage, or undefined when unset or bad.
 */
export function intOrPercent(
  v: unknown,
  field: string,
  causes: StatusCause[],
): { value: number; percent: boolean } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (v < 0) {
      causes.push(fe.invalid(field, v, 'must be greater than or equal to 0'));
      return undefined;
    }
    return { value: v, percent: false };
  }
  if (typeof v === 'string') {
    if (!PERCENT.test(v)) {
      causes.push(fe.invalid(field, v, PERCENT_MESSAGE));
      return undefined;
    }
    return { value: Number(v.slice(0, -1)), percent: true };
  }
  return undefined;
}
