import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ApiError, errors, type StatusReason } from '@berth/core';
import { sendStatus } from './http';

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

/** The Retry-After (seconds) of a 503 while the database cannot be reached. */
export const UNAVAILABLE_RETRY_SECONDS = 2;

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : '';
}

/**
 * Errors that mean "busy", not "broken": Prisma's P2028 (no interactive transaction could
 * start in time) and the pg pool's connection timeout.
 */
export function isOverload(err: unknown): boolean {
  const e = err as { code?: unknown } | undefined;
  const message = messageOf(err);
  return (
    e?.code === 'P2028' ||
    message.includes('Unable to start a transaction in the given time') ||
    message.includes('timeout exceeded when trying to connect')
  );
}

/** Socket errors of a connection to the database that is refused, broken or gone. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs of a server that is going or not there yet: 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections; and the
 * class 08 (connection exceptions).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Prisma's codes for an unreachable or vanished server (P1001, P1002, P1008, P1017). */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
/** The driver adapter's kinds for the same. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** What pg, its pool and Prisma say when the connection is refused, broken or ended. */
const MESSAGES = [
  'Connection terminated',
  'connect ECONNREFUSED',
  'read ECONNRESET',
  'the database system is',
  'terminating connection due to administrator command',
  'terminating connection because of crash of another server process',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  "Can't reach database server",
  'Server has closed the connection',
  'Connection ended unexpectedly',
];

/**
 * Errors that mean "the database cannot be reached now" (refused, reset, shutting down,
 * starting up, connection terminated), looked for in the error and its causes (pg's own
 * errors, the pool's, and Prisma's wrappings of them).
 */
export function isUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as {
    code?: unknown;
    kind?: unknown;
    originalCode?: unknown;
    cause?: unknown;
    meta?: unknown;
    driverAdapterError?: unknown;
  };
  for (const code of [e.code, e.originalCode]) {
    if (typeof code !== 'string') continue;
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code) || PRISMA_CODES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
  const message = messageOf(err);
  if (MESSAGES.some((m) => message.includes(m))) return true;
  return (
    isUnavailable(e.cause, depth + 1) ||
    isUnavailable(e.meta, depth + 1) ||
    isUnavailable(e.driverAdapterError, depth + 1)
  );
}

/** The one 500 a client sees: what went wrong is in the server's log only. */
export function internalError(): ApiError {
  return new ApiError(500, 'InternalError', 'an internal error occurred');
}

/**
 * An error that is not the client's: 429 when the database had no slot free in time, 503
 * (with Retry-After) when it cannot be reached, else a 500 without details. Logs it.
 */
export function serverError(err: unknown, logger: Logger): ApiError {
  if (isOverload(err)) {
    // The database had no connection or transaction slot for us in time: the server is
    // busy, not broken — clients (kubectl, agents) back off and retry on a 429.
    logger.warn(`overloaded: ${messageOf(err).split('\n').filter(Boolean).pop()}`);
    return errors.tooManyRequests(
      'the API server is too busy to answer now (no database connection free in time); retry in a moment',
      1,
    );
  }
  if (isUnavailable(err)) {
    logger.warn(`database unavailable: ${messageOf(err).split('\n').filter(Boolean).pop()}`);
    return errors.serviceUnavailable(
      'the API server cannot reach its database now; retry in a moment',
      UNAVAILABLE_RETRY_SECONDS,
    );
  }
  if ((err as Error | undefined)?.name === 'EncryptionError') {
    // A stored value no configured key opens (a key removed too early, or not yet given
    // to this server): the operator's to fix, and the message (object and key names, no
    // key material) says how — as kube-apiserver's "unable to transform key" does.
    const message = messageOf(err);
    logger.error(`encryption at rest: ${message}`);
    return new ApiError(
      500,
      'InternalError',
      `Internal error occurred: ${message}; give this API server that key (BERTH_ENCRYPTION_KEY)`,
    );
  }
  logger.error(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  return internalError();
}

/** Every error leaves the server as a Kubernetes Status; unexpected ones are logged. */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      // A 5xx of our own making says nothing of the inside either.
      if (
        exception.code >= 500 &&
        exception.code !== 503 &&
        exception.code !== 504 &&
        !exception.disclosed
      ) {
        this.logger.error(`internal error: ${exception.message}`);
        sendStatus(res, internalError().toStatus());
        return;
      }
      sendStatus(res, exception.toStatus());
      return;
    }
    if (exception instanceof HttpException) {
      const code = exception.getStatus();
      if (code >= 500) {
        sendStatus(res, serverError(exception, this.logger).toStatus());
        return;
      }
      const message =
        code === 404 ? 'the server could not find the requested resource' : exception.message;
      sendStatus(res, new ApiError(code, REASONS[code] ?? 'BadRequest', message).toStatus());
      return;
    }
    sendStatus(res, serverError(exception, this.logger).toStatus());
  }
}
