import type { KubeObject } from '@berth/core';
import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

type Pod = KubeObject & {
  spec: { nodeName?: string; containers: Array<{ image: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
};

const ts = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('ReplicaSet and Deployment controllers (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  let kubeletTimer: NodeJS.Timeout | undefined;
  let kubeletOn = true;

  const api = () => c.api.api();
  const listPods = async (ns = 'd'): Promise<Pod[]> =>
    (await api().get(`/api/v1/namespaces/${ns}/pods`).expect(200)).body.items;
  const isReady = (p: Pod) =>
    (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
  const alive = (p: Pod) =>
    !p.metadata.deletionTimestamp &&
    p.status?.phase !== 'Failed' &&
    p.status?.phase !== 'Succeeded';

  /** Plays the kubelet: every bound pod becomes Running and Ready. */
  async function kubeletPass(): Promise<void> {
    for (const p of await listPods()) {
      if (!p.spec.nodeName || isReady(p) || !alive(p)) continue;
      await api()
        .patch(`/api/v1/namespaces/d/pods/${p.metadata.name}/status`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({
          status: {
            phase: 'Running',
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: 'True', lastTransitionTime: ts() },
              { type: 'ContainersReady', status: 'True' },
            ],
          },
        });
    }
  }

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'd' } })
      .expect(201);
    for (const n of ['n1', 'n2', 'n3'])
      await api()
        .post('/api/v1/nodes')
        .send(node(n, '4', '8Gi'))
        .expect(201);
    const loop = async () => {
      if (!kubeletOn) return; // stopped (a pass in flight at afterAll must not re-arm it)
      await kubeletPass().catch(() => undefined);
      kubeletTimer = setTimeout(loop, 100);
    };
    void loop();
  });

  afterAll(async () => {
    if (kubeletTimer) clearTimeout(kubeletTimer);
    kubeletOn = false;
    await c?.close();
  });

  const readyCount = async (name: string) =>
    (await listPods()).filter((p) => p.metadata.labels?.app === name && alive(p) && isReady(p))
      .length;

  it('a Deployment of 5 replicas gets 5 pods bound within capacity and reports them available', async () => {
    await api()
      .post('/apis/apps/v1/namespaces/d/deployments')
      .send(deployment('web', 5))
      .expect(201);
    await eventually(async () => {
      const pods = (await listPods()).filter((p) => p.metadata.labels?.app === 'web' && alive(p));
      return pods.length === 5 && pods.every((p) => p.spec.nodeName) ? pods : undefined;
    }, '5 bound pods');
    const status = await eventually(async () => {
      const d = (await api().get('/apis/apps/v1/namespaces/d/deployments/web').expect(200)).body;
      return d.status?.availableReplicas === 5 &&
        d.status?.observedGeneration === d.metadata.generation
        ? d.status
        : undefined;
    }, 'deployment status availableReplicas=5');
    expect(status).toMatchObject({ replicas: 5, updatedReplicas: 5, readyReplicas: 5 });
    const rs = (await api().get('/apis/apps/v1/namespaces/d/replicasets').expect(200)).body.items;
    expect(rs).toHaveLength(1);
    expect(rs[0].metadata.labels['pod-template-hash']).toMatch(/^[a-z0-9]+$/);
  });

  it('replaces a deleted pod', async () => {
    const victim = (await listPods()).find((p) => p.metadata.labels?.app === 'web')!;
    await api().delete(`/api/v1/namespaces/d/pods/${victim.metadata.name}`).expect(200);
    await eventually(async () => {
      const pods = (await listPods()).filter((p) => p.metadata.labels?.app === 'web' && alive(p));
      return (
        pods.length === 5 &&
        !pods.some((p) => p.metadata.name === victim.metadata.name) &&
        (await readyCount('web')) === 5
      );
    }, 'a replacement pod');
  });

  it('scales 5 → 2 → 8', async () => {
    for (const replicas of [2, 8]) {
      await api()
        .patch('/apis/apps/v1/namespaces/d/deployments/web/scale')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas } })
        .expect(200);
      await eventually(async () => {
        const pods = (await listPods()).filter((p) => p.metadata.labels?.app === 'web' && alive(p));
        return pods.length === replicas && (await readyCount('web')) === replicas;
      }, `${replicas} ready pods`);
    }
  });

  it('rolls out a new image without dropping below replicas - maxUnavailable ready pods', async () => {
    let minReady = Infinity;
    let watching = true;
    const sampler = (async () => {
      while (watching) {
        minReady = Math.min(minReady, await readyCount('web'));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await api()
      .patch('/apis/apps/v1/namespaces/d/deployments/web')
      .set('Content-Type', 'application/strategic-merge-patch+json')
      .send({
        spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1.26' }] } } },
      })
      .expect(200);
    await eventually(
      async () => {
        const d = (await api().get('/apis/apps/v1/namespaces/d/deployments/web').expect(200)).body;
        const s = d.status ?? {};
        const pods = (await listPods()).filter((p) => p.metadata.labels?.app === 'web' && alive(p));
        return (
          s.observedGeneration === d.metadata.generation &&
          s.updatedReplicas === 8 &&
          s.availableReplicas === 8 &&
          s.replicas === 8 &&
          pods.length === 8 &&
          pods.every((p) => p.spec.containers[0].image === 'nginx:1.26')
        );
      },
      'the rollout to finish',
      60_000,
    );
    watching = false;
    await sampler;
    // 8 replicas with the default maxUnavailable 25% → at least 6 ready at every moment.
    expect(minReady).toBeGreaterThanOrEqual(6);
    const rs = (await api().get('/apis/apps/v1/namespaces/d/replicasets').expect(200)).body.items;
    expect(rs.map((r: { spec: { replicas: number } }) => r.spec.replicas).sort()).toEqual([0, 8]);
  });
});
