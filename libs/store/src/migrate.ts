import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { poolConfig } from './database';

/** Where the SQL migrations live (prisma/migrations at the repository root). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', '..', 'prisma', 'migrations');

/**
 * Applies pending migrations from `prisma/migrations`, recording them in Prisma's own
 * `_prisma_migrations` table so `prisma migrate status` agrees. This avoids the Prisma
 * CLI (slow to exit with the Wasm engine) at start-up and in tests. Concurrent callers
 * are serialised with an advisory lock. Returns the names of the migrations applied.
 */
export async function applyMigrations(
  databaseUrl: string,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  const client = new Client(poolConfig(databaseUrl));
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(72707369)');
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const have = new Set(done.rows.map((r) => r.migration_name));
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      if (have.has(name)) continue;
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), checksum, name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(err as Error).message}`);
      }
      applied.push(name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(72707369)').catch(() => undefined);
    await client.end();
  }
  return applied;
}

/** Creates a database if it does not exist (used by `npm start` and tests). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const cfg = poolConfig(databaseUrl);
  const admin = new Client({ ...cfg, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.database]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${String(cfg.database).replace(/"/g, '""')}"`);
      } catch (err) {
        // Another replica starting at the same moment created it first: 42P04
        // (duplicate_database), or 23505 on pg_database's unique index when both got
        // past the check together.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await admin.end();
  }
}

/** Drops a database, ending its other connections first (tests clean up with this). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const cfg = poolConfig(databaseUrl);
  const admin = new Client({ ...cfg, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(
      `DROP DATABASE IF EXISTS "${String(cfg.database).replace(/"/g, '""')}" WITH (FORCE)`,
    );
  } finally {
    await admin.end();
  }
}
