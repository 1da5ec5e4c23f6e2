import type { StatusCause } from '../api/status';

/**
 * Builders for `StatusCause`s worded like Kubernetes' field.ErrorList entries, e.g.
 * `{ reason: 'FieldValueInvalid', field: 'metadata.name',
 *    message: 'Invalid value: "Foo": a lowercase RFC 1123 subdomain must …' }`.
 * The `message` is what Kubernetes calls the error body: everything but the field.
 */

/** Rendered bad values longer than this many characters are cut short. */
const MAX_RENDERED_VALUE = 256;

/** Renders a bad value the way Kubernetes does: strings quoted, others as JSON. */
export function renderValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_RENDERED_VALUE
        ? `${JSON.stringify(value.slice(0, MAX_RENDERED_VALUE))}... (${value.length} characters)`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'null';
    case 'symbol':
    case 'function':
      return `<${typeof value}>`;
    default: {
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch {
        json = undefined;
      }
      if (json === undefined) return '<unrenderable value>';
      return json.length > MAX_RENDERED_VALUE ? `${json.slice(0, MAX_RENDERED_VALUE)}...` : json;
    }
  }
}

export const fieldErrors = {
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
    field,
  }),
  required: (field: string, detail = ''): StatusCause => ({
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
    field,
  }),
  /** Like Kubernetes, the too-long value itself is not echoed. */
  tooLong: (field: string, maxBytes: number): StatusCause => ({
    reason: 'FieldValueTooLong',
    message: `Too long: may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`,
    field,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({
    reason: 'FieldValueForbidden',
    message: detail ? `Forbidden: ${detail}` : 'Forbidden',
    field,
  }),
  /** A value of the wrong JSON type (a number where a string belongs, …). */
  typeInvalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
    field,
  }),
};
