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

  it('hands indexed subscribers only the changes with their value, now or before', async () => {
    const node = (c: ChangeRecord) =>
      (c.object.metadata?.labels as Record<string, string> | undefined)?.node ?? '';
    const at = (name: string) => ({
      resource: 'pods',
      namespace: 'idx',
      name,
    });
    const obj = (name: string, value: string) => ({
      metadata: { name, labels: { node: value } },
    });
    // Exists before the index does: its first change reaches every indexed subscriber.
    const old = await repo.create(at('old'), randomUUID(), obj('old', 'a'), {});
    await until(() => feed.revision >= old.resourceVersion, 'the feed to pass the old object');
    const start = (await repo.revision()).current;
    const got = new Map<string, string[]>();
    const subs = await Promise.all(
      ['a', 'b', 'c'].map((value) => {
        got.set(value, []);
        return feed.subscribe(start, {
          resource: 'pods',
          index: { name: 'pods|labels.node', value, valueOf: node },
          onChange: (c) => got.get(value)!.push(`${c.type} ${c.name}`),
          onError: (e) => {
            throw e;
          },
        });
      }),
    );
    const p1 = await repo.create(at('p1'), randomUUID(), obj('p1', 'a'), {});
    await repo.create(at('p2'), randomUUID(), obj('p2', 'b'), {});
    // p1 moves from a to b: both hear of it (a's subscriber must learn it left).
    await repo.update(at('p1'), obj('p1', 'b'), {}, p1.resourceVersion);
    await repo.update(at('old'), obj('old', 'a'), {}, old.resourceVersion);
    await repo.delete(at('p2'));
    await until(() => got.get('b')!.length === 4, `b's 4 changes: ${JSON.stringify([...got])}`);
    await until(() => got.get('c')!.length === 1, "c's change");
    expect(got.get('a')).toEqual(['ADDED p1', 'MODIFIED p1', 'MODIFIED old']);
    expect(got.get('b')).toEqual(['ADDED p2', 'MODIFIED p1', 'MODIFIED old', 'DELETED p2']);
    expect(got.get('c')).toEqual(['MODIFIED old']);
    for (const sub of subs) sub.close();
  });

  it('says when every change committed before the call has been dispatched', async () => {
    const written = await put('caught-up');
    // A refused create leaves a revision with no change row: that must not stall it.
    await expect(put('caught-up')).rejects.toMatchObject({ code: 'AlreadyExists' });
    expect(await feed.caughtUp()).toBe(true);
    expect(feed.revision >= written.resourceVersion).toBe(true);
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
