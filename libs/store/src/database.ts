import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { parse } from 'pg-connection-string';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };

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
    application_name: 'berth',
  };
}

/** A Prisma client over the pg driver adapter (Prisma's JavaScript engine). */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(poolConfig(databaseUrl, poolSize)) });
}

/**
 * `$disconnect()` with a deadline: with the pg adapter it has been seen never to return
 * (about one shutdown in three under load). Past `ms` the caller carries on; the
 * connections go with the process (or a test database dropped WITH (FORCE)).
 * True when it disconnected in time.
 */
export async function disconnectWithin(prisma: PrismaClient, ms = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const done = prisma.$disconnect().then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([done, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
