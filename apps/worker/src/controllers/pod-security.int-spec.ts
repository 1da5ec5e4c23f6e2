import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

const NS = 'ps';
const TENANT = '/apis/tenancy.berth.dev/v1/tenants/team-ps';
const MERGE = 'application/merge-patch+json';

// The pods a controller makes from a template go through the same pod security admission
// as anyone's: once a cluster admin withdraws a tenant's allowance, the ReplicaSet
// controller cannot create privileged pods any more, and says why.
describe('pod security and controllers (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();
  const pods = async () =>
    (await api().get(`/api/v1/namespaces/${NS}/pods`).expect(200)).body.items.length as number;

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/apis/tenancy.berth.dev/v1/tenants')
      .send({
        metadata: { name: 'team-ps' },
        spec: { members: [], podSecurity: { allowPrivileged: true } },
      })
      .expect(201);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS, labels: { 'tenancy.berth.dev/tenant': 'team-ps' } } })
      .expect(201);
    await api()
      .post('/api/v1/nodes')
      .send(node('n1', '8', '16Gi'))
      .expect(201);
  });
  afterAll(() => c?.close());

  it('refuses the pods of a privileged template once the allowance is withdrawn', async () => {
    const d = deployment('priv', 1);
    (d.spec.template.spec.containers[0] as Record<string, unknown>).securityContext = {
      privileged: true,
    };
    await api().post(`/apis/apps/v1/namespaces/${NS}/deployments`).send(d).expect(201);
    await eventually(async () => (await pods()) === 1, 'the allowed pod');

    await api()
      .patch(TENANT)
      .set('Content-Type', MERGE)
      .send({ spec: { podSecurity: null } })
      .expect(200);
    // Scaling leaves the template as it was: allowed, the controller still tries.
    await api()
      .patch(`/apis/apps/v1/namespaces/${NS}/deployments/priv`)
      .set('Content-Type', MERGE)
      .send({ spec: { replicas: 2 } })
      .expect(200);
    const failure = await eventually(async () => {
      const got = (await api().get(`/apis/apps/v1/namespaces/${NS}/deployments/priv`).expect(200))
        .body;
      return (got.status?.conditions ?? []).find(
        (x: { type: string }) => x.type === 'ReplicaFailure',
      ) as { status: string; reason: string; message: string } | undefined;
    }, 'a ReplicaFailure condition on the Deployment');
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failure.message).toContain(
      'violates the pod security of tenant "team-ps": spec.containers[0].securityContext.privileged=true',
    );
    expect(await pods()).toBe(1);
  });
});
