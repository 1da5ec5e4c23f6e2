import { randomBytes } from 'node:crypto';
import { applyMigrations, dropDatabase, ensureDatabase } from '../migrate';

/** The server tests create their databases on (a database name in it is replaced). */
export function testServerUrl(): string {
  return (
    process.env.BERTH_TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgresql://postgres@127.0.0.1:5432/postgres'
  );
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database with a unique name (on `serverUrl`, else the test server);
 * `drop()` removes it.
 */
export async function createTestDatabase(
  prefix = 'berth_test',
  serverUrl = testServerUrl(),
): Promise<TestDatabase> {
  const db = unusedTestDatabase(prefix, serverUrl);
  await ensureDatabase(db.url);
  await applyMigrations(db.url);
  return db;
}

/**
 * A unique database name on `serverUrl` that does not exist yet (for tests of what creates
 * and migrates it); `drop()` removes it if something did.
 */
export function unusedTestDatabase(
  prefix = 'berth_test',
  serverUrl = testServerUrl(),
): TestDatabase {
  const url = new URL(serverUrl);
  url.pathname = `/${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const dbUrl = url.toString();
  return { url: dbUrl, drop: () => dropDatabase(dbUrl) };
}
