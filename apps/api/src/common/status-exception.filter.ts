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

/**
 * Errors that mean "busy", not "broken": Prisma's P2028 (no interactive transaction could
 * start in time) and the pg pool's connection timeout.
 */
export function isOverload(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    e?.code === 'P2028' ||
    message.includes('Unable to start a transaction in the given time') ||
    message.includes('timeout exceeded when trying to connect')
  );
}

/** Every error leaves the server as a Kubernetes Status; unexpected ones are logged. */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      sendStatus(res, exception.toStatus());
      return;
    }
    if (exception instanceof HttpException) {
      const code = exception.getStatus();
      const message =
        code === 404 ? 'the server could not find the requested resource' : exception.message;
      sendStatus(res, new ApiError(code, REASONS[code] ?? 'InternalError', message).toStatus());
      return;
    }
    const err = exception as Error;
    if (isOverload(err)) {
      // The database had no connection or transaction slot for us in time: the server is
      // busy, not broken — clients (kubectl, agents) back off and retry on a 429.
      this.logger.warn(`overloaded: ${err.message.split('\n').filter(Boolean).pop()}`);
      sendStatus(
        res,
        errors
          .tooManyRequests(
            'the API server is too busy to answer now (no database connection free in time); retry in a moment',
            1,
          )
          .toStatus(),
      );
      return;
    }
    this.logger.error(`unexpected error: ${err?.stack ?? String(exception)}`);
    sendStatus(
      res,
      new ApiError(
        500,
        'InternalError',
        `an internal error occurred: ${err?.message ?? 'unknown'}`,
      ).toStatus(),
    );
  }
}
