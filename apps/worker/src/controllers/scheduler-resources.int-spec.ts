import type { KubeObject } from '@berth/core';
import { eventually, node, startTestCluster, type TestCluster } from '../testing/test-cluster';

/** A pod asking one `example.com/gpu` by its limit only (Kubernetes: request = limit). */
function gpuPod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          resources: { requests: { cpu: '10m' }, limits: { 'example.com/gpu': '1' } },
        },
      ],
    },
  };
}

function scheduled(p: KubeObject) {
  return ((p.status as { conditions?: Array<Record<string, string>> })?.conditions ?? []).find(
    (c) => c.type === 'PodScheduled',
  );
}

describe('scheduler: extended resources (two workers, real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;

  beforeAll(async () => {
    // Two workers, each scheduling its own shards: pods of different shards race.
    c = await startTestCluster(2, { metricsPort: 0 });
    const api = c.api.api();
    await api
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'gpu' } })
      .expect(201);
    const gpuNode = node('gpu-node', '8', '16Gi');
    gpuNode.status.capacity = { ...gpuNode.status.capacity, 'example.com/gpu': '1' } as never;
    gpuNode.status.allocatable = { ...gpuNode.status.allocatable, 'example.com/gpu': '1' } as never;
    await api.post('/api/v1/nodes').send(gpuNode).expect(201);
    // A bigger node without the resource: it has 0 of it.
    await api
      .post('/api/v1/nodes')
      .send(node('plain-node', '64', '256Gi'))
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('never binds two pods to the one gpu of a node; the others stay Pending with Insufficient example.com/gpu', async () => {
    const names = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
    await Promise.all(
      names.map((n) =>
        c.api.api().post('/api/v1/namespaces/gpu/pods').send(gpuPod(n)).expect(201),
      ),
    );
    const settled = await eventually(async () => {
      const items = (await c.api.api().get('/api/v1/namespaces/gpu/pods').expect(200)).body
        .items as KubeObject[];
      const bound = items.filter((p) => (p.spec as { nodeName?: string }).nodeName);
      const waiting = items.filter((p) => scheduled(p)?.reason === 'Unschedulable');
      return bound.length + waiting.length === names.length ? { bound, waiting } : undefined;
    }, 'every gpu pod bound or marked Unschedulable');
    expect(settled.bound.map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual([
      'gpu-node',
    ]);
    for (const p of settled.waiting) {
      expect(scheduled(p)).toMatchObject({
        status: 'False',
        reason: 'Unschedulable',
        message: '0/2 nodes are available: 2 Insufficient example.com/gpu.',
      });
    }
    const events = await eventually(async () => {
      const res = await c.api
        .api()
        .get('/api/v1/namespaces/gpu/events?fieldSelector=reason%3DFailedScheduling')
        .expect(200);
      return res.body.items.length ? (res.body.items as Array<{ message: string }>) : undefined;
    }, 'a FailedScheduling event');
    expect(events[0].message).toContain('Insufficient example.com/gpu');

    // When the gpu is free again, exactly one of the waiting pods takes it.
    const holder = settled.bound[0].metadata.name!;
    await c.api.api().delete(`/api/v1/namespaces/gpu/pods/${holder}?gracePeriodSeconds=0`);
    const next = await eventually(async () => {
      const items = (await c.api.api().get('/api/v1/namespaces/gpu/pods').expect(200)).body
        .items as KubeObject[];
      if (items.some((p) => p.metadata.name === holder)) return undefined;
      const bound = items.filter((p) => (p.spec as { nodeName?: string }).nodeName);
      const waiting = items.filter((p) => scheduled(p)?.reason === 'Unschedulable');
      return bound.length === 1 && waiting.length === names.length - 2 ? bound : undefined;
    }, 'one waiting pod bound to the freed gpu');
    expect(next.map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual(['gpu-node']);
  });
});
