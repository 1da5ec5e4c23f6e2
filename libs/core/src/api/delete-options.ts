import type { PropagationPolicy } from '../controllers/garbage-collector';
import { errors, type StatusCause } from './status';

/** A DELETE's options, decoded and validated as kube-apiserver does (meta/v1 DeleteOptions). */
export interface DeleteRequestOptions {
  /** `dryRun: ["All"]`: nothing is written; the answer is what would be answered. */
  dryRun: boolean;
  /** Negative values are taken as 1, as Kubernetes' BeforeDelete does. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** The policy in effect: `propagationPolicy`, or the one the deprecated `orphanDependents` means. */
  propagationPolicy?: PropagationPolicy;
  /** As sent: `false` answers 202 when the object is kept (being deleted), as Kubernetes does. */
  orphanDependents?: boolean;
}

const POLICIES: readonly string[] = ['Foreground', 'Background', 'Orphan'];
const INT64_LIMIT = 2 ** 63;

function decodeError(field: string, want: string, got: unknown): never {
  const shown = typeof got === 'string' ? `"${got}"` : JSON.stringify(got);
  throw errors.badRequest(
    `couldn't decode the DeleteOptions body: ${field} must be ${want}, got ${shown}`,
  );
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') decodeError(field, 'a string', value);
  return value;
}

/** Go's strconv.ParseBool, which kube-apiserver's query parameter codec uses. */
function parseBoolParam(raw: string, name: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  throw errors.badRequest(`query parameter "${name}" must be true or false, got "${raw}"`);
}

function parseInt64Param(raw: string, name: string): number {
  if (!/^[+-]?\d{1,19}$/.test(raw) || Math.abs(Number(raw)) >= INT64_LIMIT)
    throw errors.badRequest(`query parameter "${name}" must be an integer (int64), got "${raw}"`);
  return Number(raw);
}

interface RawOptions {
  dryRun?: string[];
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
}

function fromBody(body: unknown): RawOptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.badRequest('the body of a DELETE must be DeleteOptions (a JSON object)');
  const b = body as Record<string, unknown>;
  if (b.kind !== undefined && b.kind !== 'DeleteOptions')
    throw errors.badRequest(
      `the body of a DELETE must be DeleteOptions, got kind ${JSON.stringify(b.kind)}`,
    );
  const raw: RawOptions = {};
  if (b.dryRun !== undefined && b.dryRun !== null) {
    if (!Array.isArray(b.dryRun) || b.dryRun.some((v) => typeof v !== 'string'))
      decodeError('dryRun', 'a list of strings (["All"])', b.dryRun);
    raw.dryRun = b.dryRun as string[];
  }
  if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
    const g = b.gracePeriodSeconds;
    if (typeof g !== 'number' || !Number.isInteger(g) || Math.abs(g) >= INT64_LIMIT)
      decodeError('gracePeriodSeconds', 'an integer (int64)', g);
    raw.gracePeriodSeconds = g;
  }
  if (b.preconditions !== undefined && b.preconditions !== null) {
    const p = b.preconditions;
    if (typeof p !== 'object' || Array.isArray(p))
      decodeError('preconditions', 'an object {uid, resourceVersion}', p);
    const pre = p as Record<string, unknown>;
    raw.preconditions = {};
    const uid = optionalString(pre.uid, 'preconditions.uid');
    const rv = optionalString(pre.resourceVersion, 'preconditions.resourceVersion');
    if (uid !== undefined) raw.preconditions.uid = uid;
    if (rv !== undefined) raw.preconditions.resourceVersion = rv;
  }
  raw.propagationPolicy = optionalString(b.propagationPolicy, 'propagationPolicy');
  if (b.orphanDependents !== undefined && b.orphanDependents !== null) {
    if (typeof b.orphanDependents !== 'boolean')
      decodeError('orphanDependents', 'true or false', b.orphanDependents);
    raw.orphanDependents = b.orphanDependents;
  }
  return raw;
}

function fromQuery(query: (name: string) => string[] | undefined): RawOptions {
  const raw: RawOptions = {};
  const last = (name: string) => {
    const values = query(name);
    return values && values.length > 0 ? values[values.length - 1] : undefined;
  };
  const dryRun = query('dryRun');
  if (dryRun !== undefined) raw.dryRun = dryRun;
  const grace = last('gracePeriodSeconds');
  if (grace !== undefined && grace !== '')
    raw.gracePeriodSeconds = parseInt64Param(grace, 'gracePeriodSeconds');
  const policy = last('propagationPolicy');
  if (policy !== undefined && policy !== '') raw.propagationPolicy = policy;
  const orphan = last('orphanDependents');
  if (orphan !== undefined && orphan !== '')
    raw.orphanDependents = parseBoolParam(orphan, 'orphanDependents');
  return raw;
}

/**
 * A DELETE's (or deletecollection's) options as kube-apiserver reads them: from the body
 * when there is one, else from the query parameters; a body that does not decode is 400,
 * options that do not validate (ValidateDeleteOptions) are 422 on `DeleteOptions.meta.k8s.io`.
 * Two differences, on the safe side: `?dryRun=All` beside a body still means a dry run, and
 * a negative gracePeriodSeconds is refused (422), not taken as 1.
 */
export function parseDeleteOptions(
  body: unknown,
  query: (name: string) => string[] | undefined,
): DeleteRequestOptions {
  const raw = body === undefined ? fromQuery(query) : fromBody(body);
  if (body !== undefined && raw.dryRun === undefined && query('dryRun')?.includes('All'))
    raw.dryRun = ['All'];
  const causes: StatusCause[] = [];
  if (raw.orphanDependents !== undefined && raw.propagationPolicy !== undefined) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'propagationPolicy',
      message: `Invalid value: "${raw.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set`,
    });
  }
  if (raw.propagationPolicy !== undefined && !POLICIES.includes(raw.propagationPolicy)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'propagationPolicy',
      message: `Unsupported value: "${raw.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
    });
  }
  // Kubernetes' BeforeDelete takes a negative grace period as 1 s and deletes. No client
  // sends one on purpose (kubectl's --grace-period=-1 sends none), so Berth refuses it
  // rather than act on what is most likely a mistake.
  if (raw.gracePeriodSeconds !== undefined && raw.gracePeriodSeconds < 0) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'gracePeriodSeconds',
      message: `Invalid value: ${raw.gracePeriodSeconds}: must be greater than or equal to 0 (0 deletes at once; leave it unset for the object's default)`,
    });
  }
  // `?dryRun=` (empty) is no dry run, as the API has always taken it; anything but All is refused.
  const dryRun = (raw.dryRun ?? []).filter((v) => v !== '' || body !== undefined);
  if (dryRun.some((v) => v !== 'All')) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'dryRun',
      message: `Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"`,
    });
  }
  if (causes.length > 0) throw errors.invalid('DeleteOptions', '', causes, 'meta.k8s.io');
  const options: DeleteRequestOptions = { dryRun: dryRun.length > 0 };
  if (raw.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = raw.gracePeriodSeconds;
  if (raw.preconditions) options.preconditions = raw.preconditions;
  if (raw.propagationPolicy !== undefined)
    options.propagationPolicy = raw.propagationPolicy as PropagationPolicy;
  if (raw.orphanDependents !== undefined) {
    options.orphanDependents = raw.orphanDependents;
    // Kubernetes' deletionFinalizersForGarbageCollection: true orphans, false does not.
    options.propagationPolicy = raw.orphanDependents ? 'Orphan' : 'Background';
  }
  return options;
}
