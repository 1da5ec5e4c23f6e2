import type { Request, Response } from 'express';
import { parseDocument as parseYamlDocument } from 'yaml';
import {
  ApiError,
  decodeKubernetesProtobuf,
  duplicateJsonKeys,
  errors,
  isKubernetesProtobuf,
  type Status,
} from '@berth/core';
import { refuseNulInBody } from './nul';
import { duplicateYamlKeys } from './yaml-duplicates';

/** Writes a Kubernetes Status as the response. */
export function sendStatus(res: Response, status: Status): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.locals.statusMessage = status.message;
  if (status.details?.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  res.status(status.code).type('application/json').send(JSON.stringify(status));
}

/**
 * A `Warning` header value (RFC 7234: `299 - "<text>"`) for any text. The text goes out as
 * UTF-8 bytes, as kube-apiserver sends it (Node writes header strings as Latin-1, so the
 * string carries one character per byte), with control characters as spaces: an unknown
 * field named "\u0000" or "\ufffd" made Node refuse the header and the request answer 500.
 */
export function warningHeader(text: string): string {
  const quoted = text.replace(/[\\"]/g, (c) => `\\${c}`);
  // eslint-disable-next-line no-control-regex
  const bytes = Buffer.from(quoted.replace(/[\u0000-\u001f\u007f]/g, ' '), 'utf8');
  return `299 - "${bytes.toString('latin1')}"`;
}

export function sendJson(
  res: Response,
  code: number,
  body: unknown,
  warnings: string[] = [],
): void {
  for (const w of warnings) res.append('Warning', warningHeader(w));
  res.status(code).type('application/json').send(JSON.stringify(body));
}

/** Maps body-parser failures (too large, bad encoding, aborted) to Status errors. */
export function bodyParserError(err: {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}): ApiError {
  if (err.type === 'entity.too.large' || err.status === 413) {
    return errors.tooLarge(
      `the request body is larger than the limit of ${err.limit ?? 'the server'} bytes`,
    );
  }
  if (err.type === 'encoding.unsupported' || err.status === 415) {
    return errors.unsupportedMediaType(err.message ?? 'unsupported content encoding');
  }
  return errors.badRequest(`could not read the request body: ${err.message ?? 'unknown error'}`);
}

const JSON_TYPES = new Set(['application/json', '']);

/**
 * How deep a request body may nest. Go's JSON decoder (and so kube-apiserver) stops at
 * 10,000; here the recursive steps after decoding (patches, validation, copies) ran out of
 * stack between 2,000 and 5,000 levels and answered "Maximum call stack size exceeded".
 * No object of a served kind comes near 100.
 */
export const MAX_BODY_DEPTH = 1000;

/** True when `value` nests arrays or objects deeper than `max` (iteratively: no recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

function withinDepth<T>(value: T): T {
  if (nestedDeeperThan(value, MAX_BODY_DEPTH))
    throw errors.badRequest(
      `the request body nests objects or arrays more than ${MAX_BODY_DEPTH} levels deep`,
    );
  return value;
}
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

export function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Decodes the raw body (a Buffer from express.raw) as JSON — or YAML for the YAML media
 * types. `allowed` lists extra media types that carry JSON (the patch types).
 */
export function decodeBody(req: Request, allowed: string[] = []): unknown {
  return decodeWriteBody(req, allowed, false).body;
}

/**
 * decodeBody, and for a JSON or YAML body the paths of the keys it repeated (the last value
 * is kept; kube-apiserver's strict decoding names them: see WriteOptions). Protobuf carries
 * no repeated keys here: its decoder builds the object field by field.
 */
export function decodeWriteBody(
  req: Request,
  allowed: string[] = [],
  findDuplicates = true,
): { body: unknown; duplicateFields: string[] } {
  const { body, duplicates } = decodeRawBody(req, allowed);
  // PostgreSQL stores no NUL in text or jsonb: refuse it here, for every kind of body.
  refuseNulInBody(body);
  return { body, duplicateFields: findDuplicates && duplicates ? duplicates() : [] };
}

function decodeRawBody(
  req: Request,
  allowed: string[],
): { body: unknown; duplicates?: () => string[] } {
  const raw = req.body as unknown;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { body: undefined };
  const type = mediaTypeOf(req);
  if (isKubernetesProtobuf(type)) {
    // kubectl's typed clients (create namespace, create deployment, auth can-i…) send protobuf.
    return { body: decodeKubernetesProtobuf(raw) };
  }
  const text = raw.toString('utf8');
  if (YAML_TYPES.has(type) || type === 'application/apply-patch+yaml') {
    try {
      // Repeated keys are kept (the last wins) and reported, as for JSON: refused only with
      // fieldValidation=Strict.
      const doc = parseYamlDocument(text, { uniqueKeys: false });
      if (doc.errors.length > 0) throw doc.errors[0];
      return {
        body: withinDepth(doc.toJS({ maxAliasCount: 100 })),
        duplicates: () => duplicateYamlKeys(doc),
      };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw errors.badRequest(
        `couldn't decode the request body as YAML: ${(err as Error).message}`,
      );
    }
  }
  if (!JSON_TYPES.has(type) && !allowed.includes(type)) {
    throw errors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml${
        allowed.length ? ', ' + allowed.join(', ') : ''
      }`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't decode the request body as JSON: ${(err as Error).message}`);
  }
  return { body: withinDepth(parsed), duplicates: () => duplicateJsonKeys(text) };
}

/** A JSON (or YAML) object body; 400 when absent or not an object. */
export function decodeJsonObject(req: Request): Record<string, unknown> {
  if (Buffer.isBuffer(req.body) || req.body === undefined) {
    const body = decodeBody(req);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw errors.badRequest('the request body must be a JSON object');
    return body as Record<string, unknown>;
  }
  return req.body as Record<string, unknown>;
}

/** True when the client asked for server-side printing (`kubectl get` without -o). */
export function wantsTable(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept
    .split(',')
    .map((part) => part.trim())
    .some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return String(value[value.length - 1]);
  if (typeof value === 'object')
    throw errors.badRequest(`query parameter "${name}" must be a plain value`);
  return String(value);
}

/** Go's strconv.ParseBool, as kube-apiserver decodes boolean query parameters; "" is false. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['', '0', 'f', 'F', 'FALSE', 'false', 'False']);

export function queryBool(req: Request, name: string): boolean {
  const value = queryString(req, name);
  if (value === undefined || FALSE.has(value)) return false;
  if (TRUE.has(value)) return true;
  throw errors.badRequest(
    `query parameter "${name}" must be true or false, got "${value}" (strconv.ParseBool: parsing "${value}": invalid syntax)`,
  );
}

export function queryInt(req: Request, name: string): number | undefined {
  const value = queryString(req, name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d{1,15}$/.test(value))
    throw errors.badRequest(`query parameter "${name}" must be an integer, got "${value}"`);
  return Number(value);
}

/** Every value of a repeatable query parameter (`?dryRun=All&dryRun=All`), as strings. */
export function queryValues(req: Request, name: string): string[] | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => typeof v === 'object'))
    throw errors.badRequest(`query parameter "${name}" must be a plain value`);
  return values.map(String);
}
