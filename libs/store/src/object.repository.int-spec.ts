import { randomUUID } from 'node:crypto';
import { Database } from './database';
import { StoreError } from './errors';
import { ObjectRepository } from './object.repository';
import { createTestDatabase, type TestDatabase } from './testing/test-database';
import type { JsonObject, ObjectKey } from './types';

function pod(name: string, labels: Record<string, string> = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {},
  };
}

function key(name: string, namespace = 'default'): ObjectKey {
  return { resource: 'pods', namespace, name };
}

describe('ObjectRepository (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 20);
    repo = new ObjectRepository(database.pool);
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('creates with the next revision as resourceVersion and refuses duplicates', async () => {
    const before = (await repo.revision()).current;
    const created = await repo.create(key('a'), randomUUID(), pod('a'), {});
    expect(created.resourceVersion).toBe(before + 1n);
    expect(created.object.metadata?.resourceVersion).toBe(String(before + 1n));
    await expect(repo.create(key('a'), randomUUID(), pod('a'), {})).rejects.toMatchObject({
      code: 'AlreadyExists',
    });
    const changes = await repo.changesAfter(before, 10);
    expect(changes.map((c) => [c.type, c.name])).toEqual([['ADDED', 'a']]);
  });

  it('lets exactly one of many concurrent updates with the same resourceVersion win', async () => {
    const created = await repo.create(key('race'), randomUUID(), pod('race'), {});
    const attempts = Array.from({ length: 20 }, (_, i) =>
      repo.update(
        key('race'),
        { ...pod('race', { writer: String(i) }) },
        {},
        created.resourceVersion,
      ),
    );
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'Conflict' });
    const stored = await repo.get(key('race'));
    const winner = (won[0] as PromiseFulfilledResult<{ object: JsonObject }>).value.object;
    expect(stored?.object.metadata?.labels).toEqual(winner.metadata?.labels);
  });

  it('reports NotFound for updates and deletes of missing objects', async () => {
    await expect(repo.update(key('ghost'), pod('ghost'), {})).rejects.toBeInstanceOf(StoreError);
    await expect(repo.delete(key('ghost'))).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('deletes with a DELETED change carrying the deletion revision', async () => {
    await repo.create(key('gone'), randomUUID(), pod('gone'), {});
    const deleted = await repo.delete(key('gone'));
    expect(await repo.get(key('gone'))).toBeNull();
    const [change] = await repo.changesAfter(deleted.resourceVersion - 1n, 10);
    expect(change).toMatchObject({
      type: 'DELETED',
      name: 'gone',
      revision: deleted.resourceVersion,
    });
    expect(change.object.metadata?.resourceVersion).toBe(String(deleted.resourceVersion));
  });

  it('filters lists by labels and fields in SQL', async () => {
    const ns = 'selectors';
    const mk = (name: string, labels: Record<string, string>, node: string) =>
      repo.create({ resource: 'pods', namespace: ns, name }, randomUUID(), pod(name, labels), {
        'metadata.name': name,
        'spec.nodeName': node,
      });
    await mk('p1', { app: 'web', tier: 'front' }, 'n1');
    await mk('p2', { app: 'web', tier: 'back' }, 'n2');
    await mk('p3', { app: 'db' }, '');
    const names = async (opts: Partial<Parameters<ObjectRepository['list']>[0]>) =>
      (await repo.list({ resource: 'pods', namespace: ns, ...opts })).items.map((i) => i.key.name);
    expect(
      await names({ labelSelector: [{ key: 'app', operator: 'Equals', values: ['web'] }] }),
    ).toEqual(['p1', 'p2']);
    expect(
      await names({ labelSelector: [{ key: 'tier', operator: 'NotEquals', values: ['front'] }] }),
    ).toEqual(['p2', 'p3']);
    expect(
      await names({ labelSelector: [{ key: 'tier', operator: 'In', values: ['back', 'x'] }] }),
    ).toEqual(['p2']);
    expect(
      await names({ labelSelector: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }),
    ).toEqual(['p1', 'p3']);
    expect(
      await names({ labelSelector: [{ key: 'tier', operator: 'Exists', values: [] }] }),
    ).toEqual(['p1', 'p2']);
    expect(
      await names({ labelSelector: [{ key: 'tier', operator: 'DoesNotExist', values: [] }] }),
    ).toEqual(['p3']);
    expect(
      await names({ fieldSelector: [{ field: 'spec.nodeName', operator: 'Equals', value: 'n2' }] }),
    ).toEqual(['p2']);
    expect(
      await names({
        fieldSelector: [{ field: 'spec.nodeName', operator: 'NotEquals', value: '' }],
      }),
    ).toEqual(['p1', 'p2']);
  });

  it('paginates with continue, returning every object exactly once while writes happen', async () => {
    const ns = 'paging';
    const total = 120;
    for (let i = 0; i < total; i++) {
      await repo.create(
        { resource: 'pods', namespace: ns, name: `p-${String(i).padStart(3, '0')}` },
        randomUUID(),
        pod(`p-${i}`),
        {},
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    let page = 0;
    do {
      const res = await repo.list({
        resource: 'pods',
        namespace: ns,
        limit: 25,
        continueToken: token,
      });
      seen.push(...res.items.map((i) => i.key.name));
      token = res.continueToken;
      // Concurrent writes between pages: updates of seen and unseen objects, and new objects.
      await repo.update(
        { resource: 'pods', namespace: ns, name: 'p-000' },
        pod('p-000', { page: String(page) }),
        {},
      );
      await repo.update(
        { resource: 'pods', namespace: ns, name: 'p-119' },
        pod('p-119', { page: String(page) }),
        {},
      );
      await repo.create(
        { resource: 'pods', namespace: 'paging-other', name: `x-${page}` },
        randomUUID(),
        pod('x'),
        {},
      );
      page++;
    } while (token);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(page).toBe(5);
  });

  it('rejects a garbled continue token', async () => {
    await expect(
      repo.list({ resource: 'pods', continueToken: 'not-a-token' }),
    ).rejects.toMatchObject({
      code: 'InvalidContinue',
    });
  });

  it('finds dependents by owner uid across resources, optionally in one namespace', async () => {
    const owner = randomUUID();
    const other = randomUUID();
    const ref = (uid: string, name = 'owner') => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name,
      uid,
      controller: true,
    });
    const owned = (name: string, namespace: string, refs: object[]): JsonObject => ({
      ...pod(name),
      metadata: { name, namespace, ownerReferences: refs },
    });
    await repo.create(key('dep-a', 'gc-1'), randomUUID(), owned('dep-a', 'gc-1', [ref(owner)]), {});
    await repo.create(
      key('dep-b', 'gc-1'),
      randomUUID(),
      owned('dep-b', 'gc-1', [ref(other, 'x'), ref(owner)]),
      {},
    );
    await repo.create(key('dep-c', 'gc-2'), randomUUID(), owned('dep-c', 'gc-2', [ref(owner)]), {});
    await repo.create(
      { resource: 'replicasets.apps', namespace: 'gc-1', name: 'dep-rs' },
      randomUUID(),
      owned('dep-rs', 'gc-1', [ref(owner)]),
      {},
    );
    await repo.create(
      key('not-a-dep', 'gc-1'),
      randomUUID(),
      owned('not-a-dep', 'gc-1', [ref(other)]),
      {},
    );
    await repo.create(key('no-refs', 'gc-1'), randomUUID(), pod('no-refs'), {});

    const all = await repo.dependentsOf(owner);
    expect(all.map((d) => `${d.key.resource}/${d.key.namespace}/${d.key.name}`)).toEqual([
      'pods/gc-1/dep-a',
      'pods/gc-1/dep-b',
      'pods/gc-2/dep-c',
      'replicasets.apps/gc-1/dep-rs',
    ]);
    const inOne = await repo.dependentsOf(owner, 'gc-2');
    expect(inOne.map((d) => d.key.name)).toEqual(['dep-c']);
    expect(inOne[0].object.metadata?.ownerReferences).toEqual([ref(owner)]);
    expect(await repo.dependentsOf(randomUUID())).toEqual([]);
  });

  it('compacts the change log and answers Expired for compacted revisions', async () => {
    const start = (await repo.revision()).current;
    for (let i = 0; i < 10; i++) await repo.create(key(`c-${i}`), randomUUID(), pod(`c-${i}`), {});
    const compacted = await repo.compact(3);
    const now = (await repo.revision()).current;
    expect(compacted).toBe(now - 3n);
    await expect(repo.changesAfter(start, 100)).rejects.toMatchObject({ code: 'Expired' });
    const kept = await repo.changesAfter(compacted, 100);
    expect(kept.map((c) => c.revision)).toEqual([now - 2n, now - 1n, now]);
  });
});
