import {
  deployment,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

const NS = 'pdb';
const PDBS = `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`;

// The disruption controller on the real PostgreSQL, Redis and BullMQ: a budget's status
// follows its pods' readiness (written here as a kubelet would), a percentage counts the
// Deployment's replicas, and an eviction's disruption shows until the controller sees it through.
describe('disruption controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();
  const status = async (name: string) => (await api().get(`${PDBS}/${name}`)).body.status ?? {};
  const podNames = async () =>
    (await api().get(`/api/v1/namespaces/${NS}/pods?labelSelector=app=web`)).body.items.map(
      (p: { metadata: { name: string } }) => p.metadata.name,
    ) as string[];
  const setReady = (name: string, ready: boolean) =>
    api()
      .patch(`/api/v1/namespaces/${NS}/pods/${name}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        },
      })
      .expect(200);

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
    await api()
      .post(`/apis/apps/v1/namespaces/${NS}/deployments`)
      .send(deployment('web', 3))
      .expect(201);
    await eventually(async () => (await podNames()).length === 3, 'three pods of web');
  });
  afterAll(async () => {
    await c?.close();
  });

  it('computes healthy, desired and expected pods from readiness and the Deployment scale', async () => {
    await api()
      .post(PDBS)
      .send({
        metadata: { name: 'half' },
        spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
      })
      .expect(201);
    await api()
      .post(PDBS)
      .send({
        metadata: { name: 'two' },
        spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
      })
      .expect(201);
    const want = (s: Record<string, unknown>) =>
      `${s.currentHealthy}/${s.desiredHealthy}/${s.expectedPods}/${s.disruptionsAllowed}`;
    // Nothing ready yet: no disruption allowed, DisruptionAllowed False.
    await eventually(async () => want(await status('half')) === '0/2/3/0', 'half: 0 healthy of 3');
    const pdb = (await api().get(`${PDBS}/half`)).body;
    expect(pdb.status.observedGeneration).toBe(pdb.metadata.generation);
    expect(pdb.status.conditions).toEqual([
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'InsufficientPods',
      }),
    ]);
    for (const n of await podNames()) await setReady(n, true);
    await eventually(
      async () => want(await status('half')) === '3/2/3/1',
      'half: 3 healthy, 1 allowed',
    );
    await eventually(
      async () => want(await status('two')) === '3/2/3/1',
      'two: 3 healthy, 1 allowed',
    );
    expect((await status('half')).conditions).toEqual([
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
      }),
    ]);
    // Scaling the Deployment to 5 raises the expected count (and 50% of it) for the percentage.
    await api()
      .patch(`/apis/apps/v1/namespaces/${NS}/deployments/web/scale`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { replicas: 5 } })
      .expect(200);
    await eventually(
      async () =>
        (await status('half')).expectedPods === 5 && (await status('half')).desiredHealthy === 3,
      'half: expects 5, desires 3',
    );
  });

  it('keeps an eviction out of the healthy count, and forgets it once the pod is gone', async () => {
    await api().delete(`${PDBS}/half`).expect(200);
    await api()
      .patch(`/apis/apps/v1/namespaces/${NS}/deployments/web/scale`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { replicas: 3 } })
      .expect(200);
    await eventually(async () => (await podNames()).length === 3, 'back to three pods');
    for (const n of await podNames()) await setReady(n, true);
    await eventually(async () => (await status('two')).disruptionsAllowed === 1, 'two allows 1');
    const [victim, ready] = await podNames();
    await api()
      .post(`/api/v1/namespaces/${NS}/pods/${victim}/eviction`)
      .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim } })
      .expect(201);
    // The replacement is not ready: 2 healthy, nothing more may go; the evicted pod is gone, so
    // disruptedPods is empty again.
    await eventually(async () => {
      const s = await status('two');
      return s.currentHealthy === 2 && s.disruptionsAllowed === 0 && !s.disruptedPods;
    }, 'two: 2 healthy, 0 allowed, no pending disruption');
    // A pod still ready may not go now.
    await api()
      .post(`/api/v1/namespaces/${NS}/pods/${ready}/eviction`)
      .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: ready } })
      .expect(429);
  });
});
