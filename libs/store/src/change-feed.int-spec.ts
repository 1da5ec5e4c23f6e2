import { randomUUID } from 'node:crypto';
import { ChangeFeed } from './change-feed';
import { Database } from './database';
import { ObjectRepository } from './object.repository';
import { createTestDatabase, type TestDatabase } from './testing/test-database';
import type { ChangeRecord } from './types';

/** Resolves once `predicate` holds, polling a cheap in-memory condition; fails at the deadline. */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('ChangeFeed (real PostgreSQL LISTEN/NOTIFY)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;
  let feed: ChangeFeed;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 20);
    repo = new ObjectRepository(database.pool);
    // A long idle re-read proves wake-ups come from NOTIFY, not from polling.
    feed = new ChangeFeed(repo, { databaseUrl: db.url, idleReadMs: 60_000 });
    await feed.start();
  });

  afterAll(async () => {
    await feed.stop();
    await database.close();
    await db.drop();
  });

  const put = (name: string) =>
    repo.create(
      { resource: 'pods', namespace: 'w', name },
      randomUUID(),
      { metadata: { name } },
      {},
    );

  it('delivers exactly the events after N, in order, then live ones', async () => {
    await put('before-1');
    const n = (await put('before-2')).resourceVersion;
    await put('after-1');
    await put('after-2');
    const got: ChangeRecord[] = [];
    const sub = await feed.subscribe(n, {
      resource: 'pods',
      onChange: (c) => got.push(c),
      onError: (e) => {
        throw e;
      },
    });
    await put('after-3');
    await until(() => got.length === 3, '3 events');
    expect(got.map((c) => c.name)).toEqual(['after-1', 'after-2', 'after-3']);
    sub.close();
  });

  it('survives a burst of 1,000 concurrent writes without loss or reordering', async () => {
    const start = (await repo.revision()).current;
    const got: ChangeRecord[] = [];
    const sub = await feed.subscribe(start, {
      resource: 'pods',
      onChange: (c) => got.push(c),
      onError: (e) => {
        throw e;
      },
    });
    const names = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map(put));
    }
    await until(() => got.length === 1000, '1000 events', 30_000);
    expect(new Set(got.map((c) => c.name))).toEqual(new Set(names));
    for (let i = 1; i < got.length; i++) expect(got[i].revision > got[i - 1].revision).toBe(true);
    sub.close();
  });

  it('refuses to start from a compacted revision', async () => {
    const start = (await repo.revision()).current;
    for (let i = 0; i < 5; i++) await put(`compact-${i}`);
    await repo.compact(2);
    await expect(
      feed.subscribe(start, { onChange: () => undefined, onError: () => undefined }),
    ).rejects.toMatchObject({ code: 'Expired' });
  });
});
