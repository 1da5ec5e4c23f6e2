/**
 * Kubernetes `Status` objects and the one error type the whole code base throws for
 * client-visible failures. Every 4xx that leaves the API is one of these.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'RequestEntityTooLarge'
  | 'RequestURITooLong'
  | 'RequestHeaderFieldsTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueForbidden'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'UnknownField'
  | 'FieldManagerConflict';

export interface StatusCause {
  reason: CauseType | string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A failure that maps to one Kubernetes `Status`. Throw it; the API renders it. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /**
     * A 5xx whose message is meant for the client (as Kubernetes' eviction answers for a pod
     * under two budgets); other 5xx leave the server as a bare "internal error".
     */
    readonly disclosed = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** `resource` is the plural resource name with its group, e.g. `deployments.apps`. */
function qualified(resource: string, group?: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  badRequest: (message: string, causes?: StatusCause[]) =>
    new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined),
  unauthorized: (message = 'Unauthorized') => new ApiError(401, 'Unauthorized', message),
  forbidden: (message: string, details?: StatusDetails) =>
    new ApiError(403, 'Forbidden', message, details),
  notFound: (resource: string, name: string, group?: string) =>
    new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
      name,
      group,
      kind: resource,
    }),
  alreadyExists: (resource: string, name: string, group?: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
      name,
      group,
      kind: resource,
    }),
  conflict: (resource: string, name: string, why: string, group?: string) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
      { name, group, kind: resource },
    ),
  expired: (message: string) => new ApiError(410, 'Expired', message),
  invalid: (kind: string, name: string, causes: StatusCause[], group?: string) =>
    new ApiError(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes
        .map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
        .join(', ')}`,
      { name, group, kind, causes },
    ),
  tooLarge: (message: string) => new ApiError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (message: string) => new ApiError(415, 'UnsupportedMediaType', message),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  /** apimachinery's NewInternalError, message shown: for a limit the server means to tell. */
  internal: (message: string) =>
    new ApiError(
      500,
      'InternalError',
      `Internal error occurred: ${message}`,
      { causes: [{ reason: '', message }] },
      true,
    ),
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }),
  serviceUnavailable: (message: string, retryAfterSeconds: number) =>
    new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds }),
};

/** The reason of an {@link ApiError} (or of anything carrying a Status `reason`). */
function reasonOf(err: unknown): string | undefined {
  if (err instanceof ApiError) return err.reason;
  const reason = (err as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** The error is a NotFound (404) Status: apimachinery's `IsNotFound`. */
export function isNotFound(err: unknown): boolean {
  return reasonOf(err) === 'NotFound';
}

/**
 * The error is a Conflict (409, a stale `resourceVersion` or precondition): apimachinery's
 * `IsConflict`. AlreadyExists, also a 409, is not one.
 */
export function isConflict(err: unknown): boolean {
  return reasonOf(err) === 'Conflict';
}

/** The error is an AlreadyExists (409 on create): apimachinery's `IsAlreadyExists`. */
export function isAlreadyExists(err: unknown): boolean {
  return reasonOf(err) === 'AlreadyExists';
}

/** The error is an Invalid (422) Status: apimachinery's `IsInvalid`. */
export function isInvalid(err: unknown): boolean {
  return reasonOf(err) === 'Invalid';
}

/** Rethrows `err` unless it is a NotFound (controller-runtime's `IgnoreNotFound`). */
export function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
