import type { KubeObject } from '@berth/core';
import { eventually, node, startTestCluster, type TestCluster } from '../testing/test-cluster';

function pod(name: string, cpu: string, memory = '64Mi') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu, memory } } }],
    },
  };
}

describe('scheduler (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startTestCluster(1, { metricsPort: 0 });
    const api = c.api.api();
    await api
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 's' } })
      .expect(201);
    await api
      .post('/api/v1/nodes')
      .send(node('n1', '2', '4Gi'))
      .expect(201);
    await api
      .post('/api/v1/nodes')
      .send(node('n2', '2', '4Gi'))
      .expect(201);
    await api
      .post('/api/v1/nodes')
      .send(node('cordoned', '64', '256Gi', { unschedulable: true }))
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  const pods = async () =>
    (await c.api.api().get('/api/v1/namespaces/s/pods').expect(200)).body.items as KubeObject[];

  it('binds pods within capacity, spread over the nodes, never on a cordoned node', async () => {
    for (let i = 0; i < 6; i++)
      await c.api
        .api()
        .post('/api/v1/namespaces/s/pods')
        .send(pod(`p${i}`, '500m'))
        .expect(201);
    const bound = await eventually(async () => {
      const items = await pods();
      return items.every((p) => (p.spec as { nodeName?: string }).nodeName) ? items : undefined;
    }, 'all 6 pods bound');
    const perNode: Record<string, number> = {};
    for (const p of bound) {
      const nodeName = (p.spec as { nodeName: string }).nodeName;
      perNode[nodeName] = (perNode[nodeName] ?? 0) + 1;
      expect(
        (p.status as { conditions: Array<{ type: string; status: string }> }).conditions,
      ).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]),
      );
    }
    expect(perNode).toEqual({ n1: 3, n2: 3 });
  });

  it("marks a pod too large for every node Unschedulable with kube-scheduler's message, then binds it when a large node joins", async () => {
    await c.api.api().post('/api/v1/namespaces/s/pods').send(pod('huge', '8')).expect(201);
    const marked = await eventually(async () => {
      const p = (await c.api.api().get('/api/v1/namespaces/s/pods/huge').expect(200)).body;
      const cond = (p.status.conditions ?? []).find(
        (x: { type: string }) => x.type === 'PodScheduled',
      );
      return cond?.reason === 'Unschedulable' ? cond : undefined;
    }, 'PodScheduled=False/Unschedulable');
    expect(marked.status).toBe('False');
    expect(marked.message).toBe(
      '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.',
    );
    const events = await eventually(async () => {
      const res = await c.api
        .api()
        .get(
          '/api/v1/namespaces/s/events?fieldSelector=involvedObject.name%3Dhuge,reason%3DFailedScheduling',
        )
        .expect(200);
      return res.body.items.length ? res.body.items : undefined;
    }, 'a FailedScheduling event');
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedScheduling',
      message: marked.message,
    });

    await c.api
      .api()
      .post('/api/v1/nodes')
      .send(node('big', '16', '64Gi'))
      .expect(201);
    const boundTo = await eventually(async () => {
      const p = (await c.api.api().get('/api/v1/namespaces/s/pods/huge').expect(200)).body;
      return p.spec.nodeName as string | undefined;
    }, 'the huge pod to be bound after the big node joined');
    expect(boundTo).toBe('big');
  });

  it('exposes scheduling and queue metrics', async () => {
    const url = c.workers[0].metricsUrl!;
    const text = await (await fetch(`${url}/metrics`)).text();
    const binds = /^berth_scheduler_binds_total (\d+)/m.exec(text);
    expect(Number(binds?.[1])).toBeGreaterThanOrEqual(7);
    expect(text).toMatch(
      /^berth_scheduler_schedule_attempts_total\{result="unschedulable"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^berth_controller_reconcile_duration_seconds_count\{controller="scheduler",result="ok"\} [1-9]/m,
    );
    expect(text).toMatch(/^berth_queue_jobs\{queue="scheduler",state="failed"\} 0/m);
    expect(text).toMatch(/^berth_scheduler_pod_scheduling_duration_seconds_count [1-9]/m);
  });
});
