import { randomUUID } from 'node:crypto';
import { ChangeFeed } from './change-feed';
import { Database } from './database';
import { generateEncryptionKey, KeyRing, type AesGcmKey } from './encryption';
import type { Pool } from 'pg';
import { ObjectCodec } from './object-codec';
import { ObjectRepository } from './object.repository';
import { reencryptStore } from './reencrypt';
import { createTestDatabase, type TestDatabase } from './testing/test-database';
import type { ChangeRecord, JsonObject, ObjectKey } from './types';

const DATA_VALUE = 'hunter2-plaintext-password';
const ANNOTATION = 'annotation-with-the-whole-manifest';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(name: string, owner?: string): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'team',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': ANNOTATION },
      ...(owner
        ? { ownerReferences: [{ uid: owner, kind: 'Pod', name: 'p', apiVersion: 'v1' }] }
        : {}),
    },
    type: 'Opaque',
    data: { password: b64(DATA_VALUE) },
    stringData: undefined,
  };
}

const key = (name: string): ObjectKey => ({ resource: 'secrets', namespace: 'team', name });

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('encryption at rest in the object store (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  const k1: AesGcmKey = generateEncryptionKey('k1');
  const k2: AesGcmKey = generateEncryptionKey('k2');
  const repoWith = (keys: AesGcmKey[]) =>
    new ObjectRepository(database.pool, {
      encryption: { resources: ['secrets'], transformer: new KeyRing(keys) },
    });

  /** Every raw row of the objects and changes tables, as text. */
  async function rawRows(): Promise<string> {
    const objects = await database.pool.query(
      `SELECT data::text AS t FROM objects WHERE resource = 'secrets'`,
    );
    const changes = await database.pool.query(
      `SELECT object::text AS t FROM changes WHERE resource = 'secrets'`,
    );
    return [...objects.rows, ...changes.rows].map((r: { t: string }) => r.t).join('\n');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 10);
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('stores no plaintext in objects or changes rows, while reads return it', async () => {
    const repo = repoWith([k1]);
    const feed = new ChangeFeed(repo, { databaseUrl: db.url });
    await feed.start();
    const got: ChangeRecord[] = [];
    const from = (await repo.revision()).current;
    const sub = await feed.subscribe(from, {
      resource: 'secrets',
      onChange: (c) => got.push(c),
      onError: (e) => {
        throw e;
      },
    });
    try {
      const owner = randomUUID();
      const created = await repo.create(key('s1'), randomUUID(), secret('s1', owner), {
        type: 'Opaque',
      });
      expect(created.object.data).toEqual({ password: b64(DATA_VALUE) });
      const updated = await repo.update(
        key('s1'),
        { ...secret('s1', owner), data: { password: b64(DATA_VALUE), other: b64('more') } },
        { type: 'Opaque' },
        created.resourceVersion,
      );
      await repo.atomically(async (tx) => {
        const cur = await tx.get(key('s1'));
        expect(cur?.object.data).toMatchObject({ password: b64(DATA_VALUE) });
        await tx.update(key('s1'), cur!.object, { type: 'Opaque' }, cur!.resourceVersion);
        await tx.create(key('s2'), randomUUID(), secret('s2'), { type: 'Opaque' });
        expect((await tx.list('secrets')).map((s) => s.object.data)).toHaveLength(2);
      });
      await repo.delete(key('s2'), undefined, {
        ...secret('s2'),
        metadata: { ...secret('s2').metadata, deletionTimestamp: '2026-12-07T00:00:00Z' },
      });

      const raw = await rawRows();
      expect(raw).not.toBe('');
      for (const plain of [DATA_VALUE, b64(DATA_VALUE), ANNOTATION, 'last-applied', b64('more')]) {
        expect(raw).not.toContain(plain);
      }
      expect(raw).toContain('"encrypted"');

      // get, list (with label and field selectors), dependentsOf, the change log and the feed.
      const got1 = await repo.get(key('s1'));
      expect(got1?.object.data).toEqual({ password: b64(DATA_VALUE), other: b64('more') });
      expect(got1?.object.metadata?.annotations).toEqual({
        'kubectl.kubernetes.io/last-applied-configuration': ANNOTATION,
      });
      expect(got1?.object.metadata?.resourceVersion).toBe(got1?.resourceVersion.toString());
      expect(got1!.resourceVersion).toBeGreaterThan(updated.resourceVersion);
      const listed = await repo.list({
        resource: 'secrets',
        labelSelector: [{ key: 'app', operator: 'Equals', values: ['web'] }],
        fieldSelector: [{ field: 'type', operator: 'Equals', value: 'Opaque' }],
      });
      expect(listed.items.map((i) => i.object.data)).toEqual([got1?.object.data]);
      expect((await repo.dependentsOf(owner)).map((d) => d.key.name)).toEqual(['s1']);
      const changes = await repo.changesAfter(from, 100, 'secrets');
      expect(changes.map((c) => c.type)).toEqual([
        'ADDED',
        'MODIFIED',
        'MODIFIED',
        'ADDED',
        'DELETED',
      ]);
      for (const c of changes) expect(c.object.data).toMatchObject({ password: b64(DATA_VALUE) });
      const deleted = changes[4].object;
      expect(deleted.metadata?.deletionTimestamp).toBe('2026-12-07T00:00:00Z');
      expect(deleted.metadata?.resourceVersion).toBe(changes[4].revision.toString());
      await until(() => got.length === 5, 'five watch events');
      expect(got.map((c) => c.object.metadata?.annotations)).toEqual(
        changes.map((c) => c.object.metadata?.annotations),
      );
      // Other resources stay in clear.
      await repo.create(
        { resource: 'configmaps', namespace: 'team', name: 'c' },
        randomUUID(),
        {
          metadata: { name: 'c' },
          data: { plain: 'visible' },
        },
        {},
      );
      const cm = await database.pool.query(
        `SELECT data->'data'->>'plain' AS v FROM objects WHERE resource = 'configmaps'`,
      );
      expect(cm.rows[0].v).toBe('visible');
    } finally {
      sub.close();
      await feed.stop();
    }
  });

  it('rotates: written under k1, configured k2,k1, reencrypted, then k2 alone reads everything', async () => {
    await database.pool.query(`DELETE FROM objects WHERE resource = 'secrets'`);
    const old = repoWith([k1]);
    const from = (await old.revision()).current;
    const a = await old.create(key('r1'), randomUUID(), secret('r1'), {});
    await old.create(key('r2'), randomUUID(), secret('r2'), {});
    await old.delete(key('r2'));

    const rotating = repoWith([k2, k1]);
    expect((await rotating.get(key('r1')))?.object.data).toEqual(secret('r1').data);
    const before = await old.revision();
    const batches: string[] = [];
    const done = await rotating.reencrypt({
      batchSize: 2,
      onBatch: (table, c) => batches.push(`${table} ${c.scanned}`),
    });
    // r1, plus the change log: this test's 3 rows and the first test's 5.
    expect(done).toEqual({
      key: 'k2',
      objects: { scanned: 1, rewritten: 1, current: 0, skipped: 0 },
      changes: { scanned: 8, rewritten: 8, current: 0, skipped: 0 },
    });
    // Two rows a batch: 1 object (one short batch), 8 changes (four full, one empty).
    expect(batches).toEqual([
      'objects 1',
      'changes 2',
      'changes 4',
      'changes 6',
      'changes 8',
      'changes 8',
    ]);
    // A storage migration: the object, its resourceVersion and the revision are unchanged.
    expect((await old.revision()).current).toBe(before.current);
    // Idempotent: a second run finds everything current.
    expect(await rotating.reencrypt()).toMatchObject({
      objects: { scanned: 1, rewritten: 0, current: 1 },
      changes: { scanned: 8, rewritten: 0, current: 8 },
    });

    const raw = await rawRows();
    expect(raw).not.toContain(DATA_VALUE);
    const rows = await database.pool.query(
      `SELECT decode(data->>'encrypted', 'base64') AS v FROM objects WHERE resource = 'secrets'
       UNION ALL SELECT decode(object->>'encrypted', 'base64') FROM changes WHERE resource = 'secrets' AND revision > $1`,
      [from.toString()],
    );
    for (const r of rows.rows as Array<{ v: Buffer }>) {
      expect(r.v.subarray(0, 21).toString('latin1')).toBe('k8s:enc:aesgcm:v1:k2:');
    }

    const only2 = repoWith([k2]);
    const r1 = await only2.get(key('r1'));
    expect(r1?.resourceVersion).toBe(a.resourceVersion);
    expect(r1?.object.data).toEqual(secret('r1').data);
    const log = await only2.changesAfter(from, 100, 'secrets');
    expect(log.map((c) => `${c.type} ${c.name}`)).toEqual(['ADDED r1', 'ADDED r2', 'DELETED r2']);

    // The old key alone can no longer read: a clear error naming the object and the key.
    await expect(old.get(key('r1'))).rejects.toThrow(
      /cannot decrypt \/secrets\/team\/r1: stored value was encrypted with key "k2", which is not configured \(configured keys: k1\)/,
    );
  });

  it('leaves a row a writer changed between the read and the swap to that writer', async () => {
    await database.pool.query(`DELETE FROM objects WHERE resource = 'secrets'`);
    const old = repoWith([k1]);
    await old.create(key('w1'), randomUUID(), secret('w1'), {});
    await old.create(key('w2'), randomUUID(), secret('w2'), {});
    // A pool that lets an API server (still on k1 alone) write w1 just before the swap.
    let raced = false;
    const racing = {
      query: async (q: { text: string }) => {
        if (!raced && q.text.trimStart().startsWith('UPDATE objects')) {
          raced = true;
          const w1 = await old.get(key('w1'));
          const next = { ...w1!.object, data: { password: b64('changed') } };
          await old.update(key('w1'), next, {}, w1!.resourceVersion);
        }
        return database.pool.query(q as never);
      },
    } as unknown as Pool;
    const codec = new ObjectCodec({ resources: ['secrets'], transformer: new KeyRing([k2, k1]) });
    const done = await reencryptStore(racing, codec, { batchSize: 10 });
    expect(raced).toBe(true);
    expect(done.objects).toEqual({ scanned: 2, rewritten: 1, current: 0, skipped: 1 });
    // The writer's value stands (nothing lost); the next run moves it to k2.
    const both = repoWith([k2, k1]);
    expect((await both.get(key('w1')))?.object.data).toEqual({ password: b64('changed') });
    expect((await both.reencrypt()).objects).toMatchObject({ rewritten: 1, skipped: 0 });
    expect((await repoWith([k2]).get(key('w1')))?.object.data).toEqual({
      password: b64('changed'),
    });
  });
});
