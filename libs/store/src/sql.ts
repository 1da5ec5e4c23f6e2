import { createHash } from 'node:crypto';
import { types, type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { Prisma } from './generated/prisma/client';

/** A pool or one checked-out connection (inside a transaction). */
export type Queryable = Pool | PoolClient;

const INT8 = 20;

/** pg's parsers, except that int8 (revisions, counts) becomes a BigInt, never a string. */
const PARSERS = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => BigInt(value)
      : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser,
};

/** Statement names by text: each connection parses and plans a named statement once. */
const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `berth_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a statement built with `Prisma.sql` (a pure template builder: values always go as
 * bind parameters) directly on pg and returns its rows. `prepare` makes it a named
 * prepared statement, parsed and planned once per connection: for the store's hot
 * statements of fixed shape, where planning costs about as much as running them.
 */
export async function query<T extends QueryResultRow>(
  db: Queryable,
  sql: Prisma.Sql,
  opts: { prepare?: boolean } = {},
): Promise<T[]> {
  const res = await db.query<T>({
    text: sql.text,
    values: sql.values,
    types: PARSERS,
    ...(opts.prepare ? { name: statementName(sql.text) } : {}),
  });
  return res.rows;
}

/**
 * Runs `fn` on one pooled connection. If it fails, whatever transaction it left open is
 * rolled back; a connection whose ROLLBACK failed is discarded, not returned to the pool.
 */
async function withConnection<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no 'error' listener of the pool's: without this one, the
  // server going away between two queries (a restart) would be an uncaught error.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/** Runs `fn` in a transaction on one pooled connection (`begin` chooses the isolation level). */
export function transaction<T>(
  pool: Pool,
  begin: string,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return withConnection(pool, async (client) => {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * Runs a script of several statements (with its own BEGIN and COMMIT, values inlined as
 * escaped literals) in ONE round trip; if a statement fails, the rest are skipped and the
 * transaction is rolled back. Returns the rows of each statement, in order.
 */
export function script<T extends QueryResultRow>(pool: Pool, text: string): Promise<T[][]> {
  return withConnection(pool, async (client) => {
    const res = (await client.query(text)) as unknown as QueryResult<T> | QueryResult<T>[];
    return (Array.isArray(res) ? res : [res]).map((r) => r.rows);
  });
}
