import { randomUUID } from 'node:crypto';
import { ChangeFeed, Database, ObjectRepository, type JsonObject } from '@berth/store';
import { createTestDatabase, type TestDatabase } from '@berth/store/testing';
import { createLogger } from '../log';
import { PodUsageCache } from './pod-usage';

function pod(name: string, node: string, cpu: string, phase = 'Running'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'u',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true },
      ],
    },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory: '1Mi' } } }],
    },
    status: { phase },
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PodUsageCache (real PostgreSQL change feed)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;
  let feed: ChangeFeed;
  let cache: PodUsageCache;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 5);
    repo = new ObjectRepository(database.pool);
    feed = new ChangeFeed(repo, { databaseUrl: db.url });
    await feed.start();
    cache = new PodUsageCache(repo, feed, createLogger({ component: 'test', level: 'error' }));
  });

  afterAll(async () => {
    cache.stop();
    await feed.stop();
    await database.close();
    await db.drop();
  });

  const key = (name: string) => ({ resource: 'pods', namespace: 'u', name });
  const cpuOn = async (node: string) => (await cache.usage()).get(node)?.milliCpu ?? 0n;

  it('sums what was there at the start and follows creates, finishes and deletes', async () => {
    await repo.create(key('a'), randomUUID(), pod('a', 'n1', '100m'), {});
    await repo.create(key('pending'), randomUUID(), pod('pending', '', '5'), {});
    expect(await cpuOn('n1')).toBe(100n);
    expect((await cache.usage()).get('n1')).toMatchObject({ pods: 1, owners: { 'rs-uid': 1 } });

    await repo.create(key('b'), randomUUID(), pod('b', 'n1', '250m'), {});
    await until(() => cache['byNode'].get('n1')?.milliCpu === 350n, 'b counted');

    // A pod that finished frees its requests; a deleted one too.
    await repo.update(key('a'), pod('a', 'n1', '100m', 'Succeeded'), {});
    await until(() => cache['byNode'].get('n1')?.milliCpu === 250n, 'a uncounted');
    await repo.delete(key('b'));
    await until(() => !cache['byNode'].has('n1'), 'n1 empty');
  });

  it('knows the host ports held on each node until their pod finishes', async () => {
    const withPort = pod('hp', 'n3', '10m');
    (withPort.spec as { containers: Array<Record<string, unknown>> }).containers[0].ports = [
      { containerPort: 80, hostPort: 8080 },
    ];
    await repo.create(key('hp'), randomUUID(), withPort, {});
    await until(
      () => cache['byNode'].get('n3')?.hostPorts.has('TCP/8080/0.0.0.0') === true,
      'port held',
    );
    await repo.update(key('hp'), { ...withPort, status: { phase: 'Failed' } }, {});
    await until(() => !cache['byNode'].has('n3'), 'port released');
  });

  it('counts an assumed binding at once, and only once when its change arrives', async () => {
    const bound = pod('c', 'n2', '1');
    cache.assume(bound as never);
    expect(await cpuOn('n2')).toBe(1000n);
    await repo.create(key('c'), randomUUID(), bound, {});
    await expect(feed.caughtUp()).resolves.toBe(true);
    expect(await cpuOn('n2')).toBe(1000n);
    expect((await cache.usage()).get('n2')?.pods).toBe(1);
  });

  it('sums ephemeral-storage and extended resources (a limit alone counts as the request)', async () => {
    const withGpu = (name: string) => {
      const p = pod(name, 'n4', '10m');
      (p.spec as { containers: Array<Record<string, unknown>> }).containers[0].resources = {
        requests: { cpu: '10m', 'ephemeral-storage': '1Gi' },
        limits: { 'example.com/gpu': '1' },
      };
      return p;
    };
    await repo.create(key('g1'), randomUUID(), withGpu('g1'), {});
    await repo.create(key('g2'), randomUUID(), withGpu('g2'), {});
    await until(() => cache['byNode'].get('n4')?.pods === 2, 'both gpu pods counted');
    expect((await cache.usage()).get('n4')).toMatchObject({
      ephemeralStorage: 2n << 30n,
      scalar: { 'example.com/gpu': 2n },
    });
    await repo.delete(key('g1'));
    await until(() => cache['byNode'].get('n4')?.pods === 1, 'g1 uncounted');
    expect((await cache.usage()).get('n4')).toMatchObject({
      ephemeralStorage: 1n << 30n,
      scalar: { 'example.com/gpu': 1n },
    });
  });
});
