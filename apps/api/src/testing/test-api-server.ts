import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@berth/store/testing';
import { loadConfig, type AppConfig } from '../config/app-config';
import { startApiServer, type ApiServer } from '../server';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApiServer {
  server: ApiServer;
  db: TestDatabase;
  /** supertest against the plain-HTTP loopback listener, authenticated as admin. */
  api(): TestAgent;
  /** Unauthenticated supertest. */
  anonymous(): ReturnType<typeof request>;
  close(): Promise<void>;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type TestAgent = Record<Method, (url: string) => request.Test>;

export interface TestApiServerOptions {
  /** The PostgreSQL server to make the fresh database on (default: the shared test server). */
  databaseServerUrl?: string;
}

/** A real API server on a fresh database, on free ports, with its own data directory. */
export async function startTestApiServer(
  overrides: Partial<AppConfig> = {},
  options: TestApiServerOptions = {},
): Promise<TestApiServer> {
  const db = await createTestDatabase('berth_test', options.databaseServerUrl);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-api-test-'));
  const config: AppConfig = {
    ...loadConfig({}),
    databaseUrl: db.url,
    port: 0,
    host: '127.0.0.1',
    httpPort: 0,
    dataDir,
    redisPrefix: `berth-api-test-${path.basename(dataDir)}`,
    adminToken: TEST_ADMIN_TOKEN,
    // The cheapest bcrypt cost: tests hash many passwords.
    bcryptCost: 4,
    logLevel: 'error',
    // Tests close many servers: no wait for load balancers that are not there.
    shutdownDelayMs: 0,
    ...overrides,
  };
  const server = await startApiServer(config);
  const base = server.httpUrl!;
  const api = (): TestAgent => {
    const agent = request(base);
    const wrap = (m: Method) => (url: string) =>
      agent[m](url).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
    return {
      get: wrap('get'),
      post: wrap('post'),
      put: wrap('put'),
      patch: wrap('patch'),
      delete: wrap('delete'),
    };
  };
  return {
    server,
    db,
    api,
    anonymous: () => request(base),
    async close() {
      await server.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
