import { Logger } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { Pool } from 'pg';
import { DatabaseError } from 'pg-protocol';
import { ApiError } from '@berth/core';
import { createPrismaClient, EncryptionError } from '@berth/store';
import {
  isOverload,
  isUnavailable,
  serverError,
  StatusExceptionFilter,
} from './status-exception.filter';
import { freePort } from '../testing/ports';

function pgError(code: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'FATAL';
  return err;
}

/** What the filter sends: code, headers and the Status body. */
function sent(exception: unknown): { code: number; headers: Record<string, string>; body: any } {
  const out = { code: 0, headers: {} as Record<string, string>, body: undefined as any };
  const res = {
    headersSent: false,
    locals: {},
    setHeader: (k: string, v: string) => (out.headers[k.toLowerCase()] = v),
    status(code: number) {
      out.code = code;
      return this;
    },
    type() {
      return this;
    },
    send(text: string) {
      out.body = JSON.parse(text);
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new StatusExceptionFilter().catch(exception, host);
  return out;
}

describe('isOverload', () => {
  it('recognises a transaction that could not start and a pool that had no connection', () => {
    expect(isOverload({ code: 'P2028', message: 'Transaction API error' })).toBe(true);
    expect(
      isOverload(
        new Error(
          'Invalid `prisma.$transaction()` invocation:\n\nTransaction API error: Unable to start a transaction in the given time.',
        ),
      ),
    ).toBe(true);
    expect(isOverload(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('leaves other errors alone', () => {
    expect(isOverload(new Error('relation "objects" does not exist'))).toBe(false);
    expect(isOverload(undefined)).toBe(false);
    expect(isOverload('text')).toBe(false);
  });
});

describe('isUnavailable', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('recognises the errors of pg and of Prisma when the server refuses connections', async () => {
    const port = await freePort();
    const url = `postgresql://postgres@127.0.0.1:${port}/berth`;
    const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 2000 });
    const pgErr = await pool.query('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
    await pool.end();
    expect((pgErr as Error).message).toMatch(/ECONNREFUSED/);
    expect(isUnavailable(pgErr)).toBe(true);

    const prisma = createPrismaClient(url);
    const prismaErr = await prisma.$queryRawUnsafe('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
    await prisma.$disconnect().catch(() => undefined);
    expect(prismaErr).toBeDefined();
    expect(isUnavailable(prismaErr)).toBe(true);
  });

  it('recognises a server shutting down, starting up, and a connection that ended', () => {
    expect(
      isUnavailable(pgError('57P01', 'terminating connection due to administrator command')),
    ).toBe(true);
    expect(
      isUnavailable(pgError('57P03', 'the database system is not yet accepting connections')),
    ).toBe(true);
    expect(
      isUnavailable(
        pgError('57P02', 'terminating connection because of crash of another server process'),
      ),
    ).toBe(true);
    expect(isUnavailable(pgError('08006', 'connection failure'))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      true,
    );
    // Wrapped, as Prisma's driver adapter does.
    expect(isUnavailable(new Error('x', { cause: { kind: 'postgres', code: '57P01' } }))).toBe(
      true,
    );
    expect(
      isUnavailable({
        message: 'x',
        meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } },
      }),
    ).toBe(true);
  });

  it('leaves the errors of a working database alone', () => {
    expect(isUnavailable(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe(
      false,
    );
    expect(isUnavailable(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(
      false,
    );
    expect(isUnavailable(new Error('relation "objects" does not exist'))).toBe(false);
    expect(isUnavailable(undefined)).toBe(false);
  });
});

describe('the Status of a server error', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('is 503 ServiceUnavailable with Retry-After and a plain message when the database is out', () => {
    const res = sent(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    expect(res.code).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' });
    expect(res.body.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(res.body.message).not.toMatch(/ECONNREFUSED|5432/);
  });

  it('is a 500 that says nothing of the inside for anything unexpected', () => {
    for (const err of [
      new Error(
        'ENOENT: no such file or directory, stat /work/apps/admin/dist/index.html\u0000.js',
      ),
      pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      new ApiError(500, 'InternalError', 'store failure: relation "objects" does not exist'),
      'a string',
    ]) {
      const res = sent(err);
      expect(res.code).toBe(500);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'an internal error occurred',
        reason: 'InternalError',
        code: 500,
      });
    }
    expect(serverError(new Error('x'), new Logger('t')).message).toBe('an internal error occurred');
  });

  it('names the object and the key when a stored value is under a key this server lacks', () => {
    const err = new EncryptionError(
      'cannot decrypt /secrets/team/db: stored value was encrypted with key "k2", which is not configured (configured keys: k1)',
    );
    const res = sent(err);
    expect(res.code).toBe(500);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect(res.body.message).toBe(
      `Internal error occurred: ${err.message}; give this API server that key (BERTH_ENCRYPTION_KEY)`,
    );
  });

  it('keeps client errors as they are', () => {
    const res = sent(new ApiError(404, 'NotFound', 'pods "x" not found'));
    expect(res).toMatchObject({ code: 404, body: { message: 'pods "x" not found' } });
  });
});
