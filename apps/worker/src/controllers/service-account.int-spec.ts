import { eventually, startTestCluster, type TestCluster } from '../testing/test-cluster';

const NS = 'sa-ctl';
const DEFAULT_SA = `/api/v1/namespaces/${NS}/serviceaccounts/default`;

// The service account controller on the real PostgreSQL, Redis and BullMQ: a namespace's
// default ServiceAccount, written with the namespace, comes back when deleted.
describe('service account controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('re-creates the default account after it is deleted', async () => {
    const first = (await api().get(DEFAULT_SA).expect(200)).body.metadata.uid as string;
    await api().delete(DEFAULT_SA).expect(200);
    const again = await eventually(async () => {
      const res = await api().get(DEFAULT_SA);
      return res.status === 200 ? (res.body.metadata.uid as string) : undefined;
    }, 'the default service account to be made again');
    expect(again).not.toBe(first);
  });
});
