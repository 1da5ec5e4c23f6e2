/**
 * Schema checking for incoming objects: runs a zod schema, turns its issues into Kubernetes
 * field causes, and finds (and strips) unknown fields. Also the small schema builders the
 * kinds share (int-or-string, quantities, timestamps, "accept anything" sub-structures) and
 * the zod → OpenAPI 3.0 conversion.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import { deepClone, formatValue, isObject, jsonType, type JsonObject } from './util';

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/**
 * A Go `int32` field: values outside [-2^31, 2^31-1] do not decode (400 BadRequest, as
 * kube-apiserver's "cannot unmarshal number … of type int32"). OpenAPI `format: int32`.
 */
export const int32 = () => z.int32();

/**
 * A Go `int64` field, within what a JSON number carries exactly (±(2^53-1); beyond that a
 * value would be silently rounded). OpenAPI `format: int64`.
 */
export const int64 = () => z.int();

/** @deprecated Say which: `int32()` or `int64()`, as the field's Go type. */
export const int = int64;

/** `IntOrString` (ports, maxSurge…): its integer is an int32, as Go's `intstr.IntOrString`. */
export const intOrString = () =>
  z.union([z.int32(), z.string()]).meta({ 'x-kubernetes-int-or-string': true });

/** A `resource.Quantity`: kubectl sends strings, YAML authors sometimes write bare numbers. */
export const quantity = () =>
  z.union([z.string(), z.number()]).meta({ 'x-kubernetes-int-or-string': true });

/** `ResourceList`: resource name → quantity. Checked semantically by `validate()`. */
export const quantityMap = () => z.record(z.string(), quantity());

export const stringMap = () => z.record(z.string(), z.string());

/** A sub-structure Berth does not model field by field: any JSON object is accepted as is. */
export const anyObject = () => z.record(z.string(), z.unknown());

/** RFC 3339 timestamp (`metav1.Time` / `metav1.MicroTime`). */
export const timestamp = () => z.iso.datetime({ offset: true });

/**
 * A string enum whose empty value means "unset" (Go decodes `""` as the zero value and
 * defaulting then fills it in), so `""` is accepted as well.
 */
export const enumOrEmpty = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum([...values, ''] as unknown as [T[number] | '', ...Array<T[number] | ''>]);

/** A list merged by `key` in strategic-merge patches. */
export function mergeList<T extends z.ZodType>(item: T, key: string) {
  return z
    .array(item)
    .meta({ 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge' });
}

// ---------------------------------------------------------------------------------------------
// Running a schema
// ---------------------------------------------------------------------------------------------

export interface CheckResult {
  /** A deep copy of the input, `null`-valued keys dropped and unknown fields removed. */
  value: unknown;
  causes: StatusCause[];
  unknownFields: string[];
  /**
   * Integers out of their Go type's range: kube-apiserver fails to decode those (400
   * BadRequest), before any validation. Also listed in `causes`.
   */
  decodeErrors: StatusCause[];
}

/**
 * Validates `input` against `schema`. Never throws: whatever goes wrong becomes a cause.
 * Unknown keys (reported by `z.strictObject`) are listed as dotted paths and removed from
 * the returned copy; every other issue becomes a `StatusCause`.
 */
export function checkSchema(schema: z.ZodType, input: unknown): CheckResult {
  let value: unknown;
  try {
    value = deepClone(input, true);
  } catch {
    return {
      value: undefined,
      causes: [
        { reason: 'FieldValueInvalid', message: 'Invalid value: the object could not be read' },
      ],
      unknownFields: [],
      decodeErrors: [],
    };
  }
  let issues: z.core.$ZodIssue[];
  try {
    const result = schema.safeParse(value);
    issues = result.success ? [] : result.error.issues;
  } catch (err) {
    return {
      value,
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${errorMessage(err)}` }],
      unknownFields: [],
      decodeErrors: [],
    };
  }

  const causes: StatusCause[] = [];
  const unknownFields: string[] = [];
  const decodeErrors: StatusCause[] = [];
  const toDelete: Array<{ parent: PropertyKey[]; key: string }> = [];
  for (const issue of issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        unknownFields.push(formatPath(schema, [...path, key]));
        toDelete.push({ parent: path, key });
      }
      continue;
    }
    const overflow = rangeOverflow(schema, value, issue);
    if (overflow) decodeErrors.push(overflow);
    causes.push(overflow ?? issueToCause(schema, value, issue));
  }
  for (const { parent, key } of toDelete) {
    const container = getAt(value, parent);
    if (isObject(container)) delete container[key];
  }
  return { value, causes, unknownFields, decodeErrors };
}

/** The Go integer type whose range a too_big/too_small issue is about, if any. */
function rangeType(issue: z.core.$ZodIssue): 'int32' | 'int64' | undefined {
  if (issue.code !== 'too_big' && issue.code !== 'too_small') return undefined;
  if (issue.origin !== 'number') return undefined;
  const bound = issue.code === 'too_big' ? Number(issue.maximum) : Number(issue.minimum);
  if (bound === INT32_MAX || bound === INT32_MIN) return 'int32';
  if (Math.abs(bound) === Number.MAX_SAFE_INTEGER) return 'int64';
  return undefined;
}

function rangeOverflow(
  schema: z.ZodType,
  root: unknown,
  issue: z.core.$ZodIssue,
): StatusCause | undefined {
  const type = rangeType(issue);
  if (!type) return undefined;
  const field = formatPath(schema, issue.path);
  const value = getAt(root, issue.path);
  const range =
    type === 'int32'
      ? `${INT32_MIN} to ${INT32_MAX}`
      : `${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`;
  return {
    reason: 'FieldValueTypeInvalid',
    ...(field ? { field } : {}),
    message: `cannot unmarshal number ${formatValue(value)} into Go struct field ${field || 'body'} of type ${type} (${range})`,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function issueToCause(schema: z.ZodType, root: unknown, issue: z.core.$ZodIssue): StatusCause {
  const field = formatPath(schema, issue.path);
  const value = getAt(root, issue.path);
  const where = field ? `${field} in body` : 'body';
  const withField = (c: StatusCause): StatusCause => (field ? { ...c, field } : c);
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_union': {
      if (value === undefined)
        return withField({ reason: 'FieldValueRequired', message: 'Required value' });
      const expected = describeType(schemaAt(schema, issue.path)) ?? mapExpected(issue);
      return withField({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${formatValue(value)}: ${where} must be of type ${expected}: "${jsonType(value)}"`,
      });
    }
    case 'invalid_value': {
      if (value === undefined)
        return withField({ reason: 'FieldValueRequired', message: 'Required value' });
      const supported = issue.values
        .filter((v) => v !== '')
        .map((v) => formatValue(v))
        .sort()
        .join(', ');
      return withField({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${formatValue(value)}: supported values: ${supported}`,
      });
    }
    case 'invalid_format': {
      const what =
        issue.format === 'datetime'
          ? 'must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)'
          : `must be a valid ${issue.format}`;
      return withField({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${formatValue(value)}: ${what}`,
      });
    }
    default:
      return withField({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${formatValue(value)}: ${issue.message}`,
      });
  }
}

function mapExpected(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type')
    return issue.expected === 'int' || issue.expected === 'number' ? 'integer' : issue.expected;
  return 'a supported type';
}

// ---------------------------------------------------------------------------------------------
// Walking a zod schema along an issue path (for `a.b[0][key]` field names and type names)
// ---------------------------------------------------------------------------------------------

type Def = { type: string; [k: string]: unknown };

function defOf(s: unknown): Def | undefined {
  const zod = (s as { _zod?: { def?: Def } } | undefined)?._zod;
  return zod?.def;
}

/** Strips optional/nullable/default/readonly wrappers. */
function unwrap(s: unknown): unknown {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const def = defOf(cur);
    if (!def) return cur;
    if (
      def.type === 'optional' ||
      def.type === 'nullable' ||
      def.type === 'default' ||
      def.type === 'readonly' ||
      def.type === 'nonoptional'
    ) {
      cur = def.innerType;
    } else if (def.type === 'pipe') {
      cur = def.in;
    } else if (def.type === 'lazy') {
      try {
        cur = (def.getter as () => unknown)();
      } catch {
        return undefined;
      }
    } else {
      return cur;
    }
  }
  return cur;
}

type SegmentKind = 'field' | 'map' | 'index' | 'unknown';

/** The child schema for one path segment, and what kind of segment it is. */
function step(s: unknown, seg: PropertyKey): { child: unknown; kind: SegmentKind } {
  const def = defOf(unwrap(s));
  if (!def) return { child: undefined, kind: 'unknown' };
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (typeof seg === 'string' && Object.prototype.hasOwnProperty.call(shape, seg)) {
        return { child: shape[seg], kind: 'field' };
      }
      return { child: undefined, kind: 'unknown' };
    }
    case 'record':
      return { child: def.valueType, kind: 'map' };
    case 'array':
      return { child: def.element, kind: 'index' };
    default:
      // Only unions of scalars are used, so there is never a need to descend into one.
      return { child: undefined, kind: 'unknown' };
  }
}

function schemaAt(schema: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = schema;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    cur = step(cur, seg).child;
  }
  return cur;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `spec.template.spec.containers[0].resources.limits[cpu]`. */
export function formatPath(schema: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  let cur: unknown = schema;
  for (const seg of path) {
    const { child, kind } = step(cur, seg);
    const text = String(seg);
    if (typeof seg === 'number' || kind === 'map' || (kind === 'unknown' && !IDENT.test(text))) {
      out += `[${text}]`;
    } else {
      out += out ? `.${text}` : text;
    }
    cur = child;
  }
  return out;
}

/** The OpenAPI type name of a schema, for "must be of type …" messages. */
function describeType(s: unknown, depth = 0): string | undefined {
  if (depth > 5) return undefined;
  const inner = unwrap(s);
  const def = defOf(inner);
  if (!def) return undefined;
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'template_literal':
      return 'string';
    case 'literal':
      return typeof (def.values as unknown[])[0] === 'string'
        ? 'string'
        : jsonType((def.values as unknown[])[0]);
    case 'number':
      return (inner as { isInt?: boolean }).isInt ||
        def.format === 'safeint' ||
        def.format === 'int32'
        ? 'integer'
        : 'number';
    case 'int':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'object':
    case 'record':
      return 'object';
    case 'array':
      return 'array';
    case 'union': {
      const names = (def.options as unknown[]).map((o) => describeType(o, depth + 1) ?? 'unknown');
      if (names.includes('integer') && names.includes('string')) return 'integer-or-string';
      return [...new Set(names)].join(' or ');
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON Schema
// ---------------------------------------------------------------------------------------------

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * The OpenAPI 3.0 schema of a zod schema, tidied: zod's safe-integer bounds become
 * `format: int64`, date-time regexes are dropped in favour of `format: date-time`.
 */
export function toOpenApiSchema(schema: z.ZodType, extra: JsonObject = {}): JsonObject {
  const raw = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    unrepresentable: 'any',
  }) as JsonObject;
  delete raw.$schema;
  const stack: unknown[] = [raw];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!isObject(node)) continue;
    if (node.type === 'integer' && node.minimum === -SAFE_MAX && node.maximum === SAFE_MAX) {
      delete node.minimum;
      delete node.maximum;
      node.format = 'int64';
    }
    if (node.type === 'integer' && node.minimum === INT32_MIN && node.maximum === INT32_MAX) {
      delete node.minimum;
      delete node.maximum;
      node.format = 'int32';
    }
    if (node.format === 'date-time') delete node.pattern;
    for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return { ...raw, ...extra };
}
