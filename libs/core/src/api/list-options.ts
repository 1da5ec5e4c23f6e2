import { ApiError, errors, type StatusCause } from './status';

export type ResourceVersionMatch = 'Exact' | 'NotOlderThan';

/** The resourceVersion semantics of a get, list or watch, as kube-apiserver reads them. */
export interface ResourceVersionQuery {
  /** Absent for "" (the most recent) and "0" (any); otherwise the revision asked for. */
  resourceVersion?: bigint;
  /** `resourceVersion=0`: any version will do (Berth serves the most recent). */
  any: boolean;
  match?: ResourceVersionMatch;
}

export interface ListParameters {
  resourceVersion?: string;
  resourceVersionMatch?: string;
  continue?: string;
  sendInitialEvents?: string;
}

/** Kubernetes' APIObjectVersioner.ParseResourceVersion: "" or a uint64. */
export function parseResourceVersion(raw: string | undefined): bigint | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,20}$/.test(raw) || BigInt(raw) > 2n ** 64n - 1n) {
    throw errors.badRequest(
      `invalid resource version: resourceVersion: Invalid value: "${raw}": must be a resourceVersion this server returned (an unsigned integer), or empty for the most recent`,
    );
  }
  return BigInt(raw);
}

function invalidListOptions(causes: StatusCause[]): ApiError {
  return errors.invalid('ListOptions', '', causes, 'meta.k8s.io');
}

const forbidden = (message: string): StatusCause => ({
  reason: 'FieldValueForbidden',
  field: 'resourceVersionMatch',
  message: `Forbidden: ${message}`,
});

/**
 * Validates a list's or watch's resourceVersion parameters as kube-apiserver does
 * (ValidateListOptions: 422 on `ListOptions.meta.k8s.io`; an unparsable resourceVersion,
 * or one beside `continue`, is 400).
 */
export function parseListParameters(p: ListParameters, watch: boolean): ResourceVersionQuery {
  const rvRaw = p.resourceVersion ?? '';
  const match = p.resourceVersionMatch ?? '';
  const cont = p.continue ?? '';
  const causes: StatusCause[] = [];
  if (p.sendInitialEvents !== undefined && p.sendInitialEvents !== '') {
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'sendInitialEvents',
      message: watch
        ? 'Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'
        : 'Forbidden: sendInitialEvents is forbidden for list',
    });
  }
  if (match !== '') {
    if (watch) {
      causes.push(
        forbidden(
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
      );
      if (match !== 'NotOlderThan') {
        causes.push({
          reason: 'FieldValueNotSupported',
          field: 'resourceVersionMatch',
          message: `Unsupported value: "${match}": supported values: "NotOlderThan"`,
        });
      }
    } else {
      if (rvRaw === '')
        causes.push(
          forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided'),
        );
      if (cont !== '')
        causes.push(forbidden('resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        causes.push({
          reason: 'FieldValueNotSupported',
          field: 'resourceVersionMatch',
          message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
        });
      }
      if (match === 'Exact' && rvRaw === '0')
        causes.push(forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (causes.length > 0) throw invalidListOptions(causes);
  const rv = parseResourceVersion(rvRaw);
  if (cont !== '' && rv !== undefined && rv !== 0n)
    throw errors.badRequest('specifying resource version is not allowed when using continue');
  const query: ResourceVersionQuery = { any: rv === 0n };
  if (rv !== undefined && rv !== 0n) query.resourceVersion = rv;
  if (match !== '') query.match = match as ResourceVersionMatch;
  return query;
}

/**
 * What a read at `query` gets when the store is at `current`: nothing to refuse, or the
 * refusal — 400 for a revision that does not exist yet, 410 for an exact list of a revision
 * that is no longer kept (Berth serves only the most recent state).
 *
 * kube-apiserver answers a future revision with 504 "Too large resource version" after
 * waiting up to 3 s for its watch cache to catch up. Berth reads the store itself, never a
 * lagging cache, so a revision past the store's own can only be one this cluster never
 * returned: that is the client's mistake, answered at once and never with a 5xx.
 */
export function checkResourceVersion(
  query: ResourceVersionQuery,
  current: bigint,
): ApiError | undefined {
  const rv = query.resourceVersion;
  if (rv === undefined) return undefined;
  if (rv > current) {
    return errors.badRequest(
      `Too large resource version: ${rv}, current: ${current}; send a resourceVersion this server returned`,
      [
        {
          reason: 'ResourceVersionTooLarge',
          message: 'Too large resource version',
          field: 'resourceVersion',
        },
      ],
    );
  }
  if (query.match === 'Exact' && rv < current) {
    return errors.expired(
      `The resourceVersion for the provided list is too old: ${rv} (current: ${current}); list again without resourceVersionMatch=Exact`,
    );
  }
  return undefined;
}

/** Kubernetes' IsValidPathSegmentName: what a name or namespace in a URL may not be. */
export function pathSegmentProblems(segment: string): string[] {
  if (segment === '.' || segment === '..') return [`may not be '${segment}'`];
  return ['/', '%'].filter((c) => segment.includes(c)).map((c) => `may not contain '${c}'`);
}

/**
 * 400 for a namespace or name that cannot be a path segment (`..`, `.`, or one with `/` or
 * `%` once decoded), as Kubernetes' key functions refuse them.
 */
export function assertPathSegments(namespace: string, name: string): void {
  for (const [what, value] of [
    ['Namespace', namespace],
    ['Name', name],
  ] as const) {
    if (!value) continue;
    const problems = pathSegmentProblems(value);
    if (problems.length > 0)
      throw errors.badRequest(`${what} parameter invalid: "${value}": ${problems.join(';')}`);
  }
}
