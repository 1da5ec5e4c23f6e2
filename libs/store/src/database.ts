import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolConfig } from 'pg';
import { parse } from 'pg-connection-string';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };

/** How long a query waits for a free pooled connection before failing as "busy". */
export const CONNECT_TIMEOUT_MS = 10_000;

/** pg pool settings from a `postgresql://` URL (an object, as the pg adapter needs). */
export function poolConfig(databaseUrl: string, max = 10): PoolConfig {
  const parsed = parse(databaseUrl);
  return {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user ?? undefined,
    password: parsed.password ?? undefined,
    database: parsed.database ?? undefined,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'berth',
  };
}

/** A Prisma client over the pg driver adapter (Prisma's JavaScript engine). */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(poolConfig(databaseUrl, poolSize)) });
}

/**
 * The connections of one process: a pg pool, used directly by the object store (its
 * hot paths are hand-written SQL, where Prisma's per-query overhead is about eight times
 * pg's own), and a Prisma client over the same pool for the tables it models (users,
 * credentials, audit). `close()` ends both.
 */
export class Database {
  readonly pool: Pool;
  private prismaClient?: PrismaClient;

  constructor(databaseUrl: string, poolSize = 10) {
    this.pool = new Pool(poolConfig(databaseUrl, poolSize));
    // An idle pooled connection that breaks (server restart) is dropped, not fatal.
    this.pool.on('error', () => undefined);
  }

  /** The Prisma client, created on first use, sharing this pool. */
  get prisma(): PrismaClient {
    this.prismaClient ??= new PrismaClient({ adapter: new PrismaPg(this.pool) });
    return this.prismaClient;
  }

  /** Ends the Prisma client and the pool, each within `ms`; false if one did not. */
  async close(ms = 3000): Promise<boolean> {
    const prismaClosed = this.prismaClient ? await disconnectWithin(this.prismaClient, ms) : true;
    const poolClosed = await within(
      ms,
      this.pool.end().catch(() => undefined),
    );
    return prismaClosed && poolClosed;
  }
}

/**
 * `$disconnect()` with a deadline: with the pg adapter it has been seen never to return
 * (about one shutdown in three under load). Past `ms` the caller carries on; the
 * connections go with the process (or a test database dropped WITH (FORCE)).
 * True when it disconnected in time.
 */
export async function disconnectWithin(prisma: PrismaClient, ms = 3000): Promise<boolean> {
  return within(
    ms,
    prisma.$disconnect().catch(() => undefined),
  );
}

/** True when `work` settled within `ms`. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
