import { randomUUID } from 'node:crypto';
import { Database } from './database';
import { ObjectRepository } from './object.repository';
import { SchedulingRepository } from './scheduling.repository';
import { createTestDatabase, type TestDatabase } from './testing/test-database';
import type { JsonObject } from './types';

function pod(name: string, labels: Record<string, string> = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {},
  };
}

describe('SchedulingRepository (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;
  let scheduling: SchedulingRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 20);
    repo = new ObjectRepository(database.pool);
    scheduling = new SchedulingRepository(database.pool);
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('lists the pending pods of one shard, oldest first, without bound, finished or deleted ones', async () => {
    const ns = 'pending';
    const create = (name: string, fields: Record<string, string>, object = pod(name)) =>
      repo.create({ resource: 'pods', namespace: ns, name }, randomUUID(), object, fields);
    await create('p-first', { __bucket: '3' });
    await create('p-second', { __bucket: '1' });
    await create('p-bound', { __bucket: '1', 'spec.nodeName': 'n1' });
    await create('p-done', { __bucket: '1', 'status.phase': 'Succeeded' });
    await create('p-failed', { __bucket: '1', 'status.phase': 'Failed' });
    await create('p-other-shard', { __bucket: '2' });
    await create(
      'p-deleted',
      { __bucket: '1' },
      {
        ...pod('p-deleted'),
        metadata: { name: 'p-deleted', namespace: ns, deletionTimestamp: '2026-01-01T00:00:00Z' },
      },
    );
    // A node is never a pending pod, whatever its fields.
    await repo.create({ resource: 'nodes', namespace: '', name: 'p-node' }, randomUUID(), {}, {});
    const names = async (shard: number, limit = 10) =>
      (await scheduling.pendingPods(shard, 2, limit)).map((p) => p.key.name);
    expect(await names(1)).toEqual(['p-first', 'p-second']);
    expect(await names(1, 1)).toEqual(['p-first']);
    expect(await names(0)).toEqual(['p-other-shard']);
  });

  it('binds pods only where they still fit and only if pod and node are as planned', async () => {
    const ns = 'bind';
    const node = await repo.create(
      { resource: 'nodes', namespace: '', name: 'bind-n1' },
      randomUUID(),
      { metadata: { name: 'bind-n1' } },
      {},
    );
    const other = await repo.create(
      { resource: 'nodes', namespace: '', name: 'bind-n2' },
      randomUUID(),
      { metadata: { name: 'bind-n2' } },
      {},
    );
    // A pod already on n1 uses 500m of its 1000m.
    await repo.create(
      { resource: 'pods', namespace: ns, name: 'running' },
      randomUUID(),
      pod('running'),
      {
        'spec.nodeName': 'bind-n1',
        '__requests.milliCpu': '500',
        '__requests.memory': '0',
      },
    );
    const pending = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        repo.create({ resource: 'pods', namespace: ns, name }, randomUUID(), pod(name), {}),
      ),
    );
    // d changes after it was read: its binding must not apply.
    await repo.update({ resource: 'pods', namespace: ns, name: 'd' }, pod('d', { x: '1' }), {});
    const binding = (i: number, nodeName: string, milliCpu = 300n) => ({
      namespace: ns,
      name: pending[i].key.name,
      expectedVersion: pending[i].resourceVersion,
      node: nodeName,
      milliCpu,
      memory: 0n,
      hostPorts: [],
      object: { ...pod(pending[i].key.name), spec: { nodeName } },
      fields: {
        'spec.nodeName': nodeName,
        '__requests.milliCpu': String(milliCpu),
        '__requests.memory': '0',
      },
    });
    const capacity = [
      {
        name: 'bind-n1',
        resourceVersion: node.resourceVersion,
        milliCpu: 1000n,
        memory: 1n << 30n,
        pods: 10,
      },
      // n2 was planned on an older version than the stored one: nothing binds there.
      {
        name: 'bind-n2',
        resourceVersion: other.resourceVersion - 1n,
        milliCpu: 1000n,
        memory: 1n << 30n,
        pods: 10,
      },
    ];
    const before = (await repo.revision()).current;
    const bound = await scheduling.bindPods(
      [
        binding(0, 'bind-n1'),
        binding(3, 'bind-n1', 0n),
        binding(1, 'bind-n1'),
        binding(2, 'bind-n2'),
      ],
      capacity,
    );
    // a fits (500+300); d would fit but its pod changed; b would make 1100 > 1000;
    // c's node is not the version planned on.
    expect([...bound]).toEqual([`${ns}/a`]);
    const a = await repo.get({ resource: 'pods', namespace: ns, name: 'a' });
    expect(a?.object.spec).toEqual({ nodeName: 'bind-n1' });
    expect(a?.resourceVersion).toBe(before + 1n);
    expect(a?.object.metadata?.resourceVersion).toBe(String(before + 1n));
    expect((await repo.revision()).current).toBe(before + 1n);
    const changes = await repo.changesAfter(before, 10);
    expect(changes.map((c) => [c.type, c.name, c.revision])).toEqual([
      ['MODIFIED', 'a', before + 1n],
    ]);
    expect((await repo.get({ resource: 'pods', namespace: ns, name: 'b' }))?.object.spec).toEqual(
      {},
    );
  });

  it('does not bind a pod to a node where its host port is held', async () => {
    const ns = 'bind-ports';
    const node = await repo.create(
      { resource: 'nodes', namespace: '', name: 'ports-n1' },
      randomUUID(),
      { metadata: { name: 'ports-n1' } },
      {},
    );
    await repo.create(
      { resource: 'pods', namespace: ns, name: 'holder' },
      randomUUID(),
      pod('holder'),
      {
        'spec.nodeName': 'ports-n1',
        __hostPorts: 'TCP/8080/0.0.0.0,UDP/53/10.0.0.1',
      },
    );
    const want = async (name: string, hostPorts: string[]) => {
      const created = await repo.create(
        { resource: 'pods', namespace: ns, name },
        randomUUID(),
        pod(name),
        {},
      );
      return {
        namespace: ns,
        name,
        expectedVersion: created.resourceVersion,
        node: 'ports-n1',
        milliCpu: 0n,
        memory: 0n,
        hostPorts,
        object: { ...pod(name), spec: { nodeName: 'ports-n1' } },
        fields: { 'spec.nodeName': 'ports-n1' },
      };
    };
    const capacity = [
      {
        name: 'ports-n1',
        resourceVersion: node.resourceVersion,
        milliCpu: 1000n,
        memory: 1n << 30n,
        pods: 10,
      },
    ];
    const bound = await scheduling.bindPods(
      [
        await want('same-port-one-address', ['TCP/8080/127.0.0.1']),
        await want('other-port', ['TCP/8081/0.0.0.0']),
        await want('udp-53-other-address', ['UDP/53/10.0.0.2']),
        await want('udp-53-any-address', ['UDP/53/0.0.0.0']),
        await want('no-ports', []),
      ],
      capacity,
    );
    expect([...bound].sort()).toEqual(
      [`${ns}/no-ports`, `${ns}/other-port`, `${ns}/udp-53-other-address`].sort(),
    );
  });

  it('counts extended resources and ephemeral-storage: two concurrent binds never share one gpu', async () => {
    const ns = 'bind-gpu';
    const node = await repo.create(
      { resource: 'nodes', namespace: '', name: 'gpu-n1' },
      randomUUID(),
      { metadata: { name: 'gpu-n1' } },
      {},
    );
    const capacity = [
      {
        name: 'gpu-n1',
        resourceVersion: node.resourceVersion,
        milliCpu: 1000n,
        memory: 1n << 30n,
        pods: 10,
        other: { 'example.com/gpu': 1n, 'ephemeral-storage': 10n << 30n },
      },
    ];
    const want = async (name: string, other: Record<string, bigint>) => {
      const created = await repo.create(
        { resource: 'pods', namespace: ns, name },
        randomUUID(),
        pod(name),
        {},
      );
      const encoded = Object.entries(other)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return {
        namespace: ns,
        name,
        expectedVersion: created.resourceVersion,
        node: 'gpu-n1',
        milliCpu: 0n,
        memory: 0n,
        other,
        hostPorts: [],
        object: { ...pod(name), spec: { nodeName: 'gpu-n1' } },
        fields: { 'spec.nodeName': 'gpu-n1', ...(encoded ? { '__requests.other': encoded } : {}) },
      };
    };
    const gpu = { 'example.com/gpu': 1n };
    // Two schedulers, each planning on the same empty node, bind at the same moment.
    const [first, second] = await Promise.all([
      want('gpu-a', gpu).then((b) => scheduling.bindPods([b], capacity)),
      want('gpu-b', gpu).then((b) => scheduling.bindPods([b], capacity)),
    ]);
    expect(first.size + second.size).toBe(1);

    // The gpu is held now: neither another gpu pod nor one asking for a resource the node
    // does not have binds; pods asking for neither, and storage within room, still do.
    const bound = await scheduling.bindPods(
      [
        await want('gpu-c', gpu),
        await want('fpga', { 'example.com/fpga': 1n }),
        await want('disk-6g', { 'ephemeral-storage': 6n << 30n }),
        await want('disk-5g', { 'ephemeral-storage': 5n << 30n }),
        await want('plain', {}),
      ],
      capacity,
    );
    expect([...bound].sort()).toEqual([`${ns}/disk-6g`, `${ns}/plain`]);
  });
});
