import { eventually, startTestCluster, type TestCluster } from '../testing/test-cluster';

const TENANT = '/apis/tenancy.berth.dev/v1/tenants/team-t';

function pod(name: string) {
  return {
    metadata: { name },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }],
    },
  };
}

// The tenant controller on the real PostgreSQL, Redis and BullMQ: a Tenant's status lists
// its namespaces and its quota usage summed over them, and gives back what deleted objects
// held, so the tenant quota (charged by admission) frees up again.
describe('tenant controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();
  const status = async () =>
    ((await api().get(TENANT).expect(200)).body.status ?? {}) as {
      namespaces?: string[];
      used?: Record<string, string>;
    };

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/apis/tenancy.berth.dev/v1/tenants')
      .send({
        metadata: { name: 'team-t' },
        spec: { quota: { hard: { pods: '3', 'requests.cpu': '1' } } },
      })
      .expect(201);
    for (const ns of ['t1', 't2'])
      await api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: ns, labels: { 'tenancy.berth.dev/tenant': 'team-t' } } })
        .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('lists the namespaces of the tenant', async () => {
    await eventually(
      async () => JSON.stringify((await status()).namespaces) === JSON.stringify(['t1', 't2']),
      'status.namespaces = [t1, t2]',
    );
  });

  it('sums usage over the namespaces and frees what deleted pods held', async () => {
    await api().post('/api/v1/namespaces/t1/pods').send(pod('a')).expect(201);
    await api().post('/api/v1/namespaces/t2/pods').send(pod('b')).expect(201);
    await api().post('/api/v1/namespaces/t2/pods').send(pod('c')).expect(201);
    const full = await api().post('/api/v1/namespaces/t1/pods').send(pod('d'));
    expect(full.status).toBe(403);
    expect(full.body.message).toContain('exceeded tenant quota: team-t');
    await eventually(
      async () =>
        JSON.stringify((await status()).used) ===
        JSON.stringify({ pods: '3', 'requests.cpu': '300m' }),
      'status.used = 3 pods, 300m',
    );
    await api().delete('/api/v1/namespaces/t2/pods/b').expect(200);
    await eventually(
      async () =>
        JSON.stringify((await status()).used) ===
        JSON.stringify({ pods: '2', 'requests.cpu': '200m' }),
      'status.used back to 2 pods after a deletion',
    );
    await api().post('/api/v1/namespaces/t1/pods').send(pod('d')).expect(201);
  });
});
