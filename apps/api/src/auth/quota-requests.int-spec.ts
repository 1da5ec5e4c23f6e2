import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// Quota requests on the real app and PostgreSQL: a tenant admin asks for more tenant quota
// with a reason; a cluster admin approves (the tenant quota changes in the same
// transaction) or denies with a reason; the tenant sees both, other tenants see nothing.
const QR = '/apis/tenancy.berth.dev/v1/quotarequests';
const TENANT_A = '/apis/tenancy.berth.dev/v1/tenants/team-a';

describe('quota requests (real API and PostgreSQL)', () => {
  let t: TestApiServer;
  let seed: TenancySeed;
  const as = (token: string) => ({
    get: (url: string) => t.anonymous().get(url).set('Authorization', `Bearer ${token}`),
    post: (url: string) => t.anonymous().post(url).set('Authorization', `Bearer ${token}`),
    delete: (url: string) => t.anonymous().delete(url).set('Authorization', `Bearer ${token}`),
    patch: (url: string) =>
      t
        .anonymous()
        .patch(url)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/merge-patch+json'),
  });
  const request = (name: string, tenant: string, cpu: string) => ({
    metadata: { name },
    spec: { tenant, hard: { 'requests.cpu': cpu }, reason: 'the spring launch needs more CPU' },
  });

  beforeAll(async () => {
    t = await startTestApiServer();
    seed = await seedTenancy(t);
    await t
      .api()
      .patch(TENANT_A)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { quota: { hard: { 'requests.cpu': '2', pods: '10' } } } })
      .expect(200);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lets a tenant admin file a request, and only for a tenant they administer', async () => {
    const admin = as(seed.a.tokens['tenant-admin']);
    const filed = await admin.post(QR).send(request('more-cpu', 'team-a', '4'));
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({
      metadata: { labels: { 'tenancy.berth.dev/tenant': 'team-a' } },
      spec: { tenant: 'team-a', requestedBy: 'a-admin' },
      status: { phase: 'Pending' },
    });
    const dev = await as(seed.a.tokens.developer)
      .post(QR)
      .send(request('dev-asks', 'team-a', '8'));
    expect(dev.status).toBe(403);
    const foreign = await admin.post(QR).send(request('for-b', 'team-b', '8'));
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toBe(
      'quota request "for-b": only tenant admins of "team-b" can ask for more of its quota',
    );
    const noReason = await admin
      .post(QR)
      .send({ metadata: { name: 'why' }, spec: { tenant: 'team-a', hard: { pods: '20' } } });
    expect(noReason.status).toBe(422);
    expect(noReason.body.message).toContain(
      'spec.reason: Required value: say why the tenant needs it',
    );
  });

  it("shows a tenant's requests to its members only", async () => {
    const viewer = await as(seed.a.tokens.viewer).get(QR);
    expect(viewer.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'more-cpu',
    ]);
    expect((await as(seed.b.tokens['tenant-admin']).get(QR)).body.items).toEqual([]);
    expect((await as(seed.b.tokens['tenant-admin']).get(`${QR}/more-cpu`)).status).toBe(404);
    expect((await as(seed.a.tokens.viewer).get(`${QR}/more-cpu`)).status).toBe(200);
  });

  it('lets only a cluster admin decide; an approval changes the tenant quota atomically', async () => {
    const selfApprove = await as(seed.a.tokens['tenant-admin'])
      .patch(`${QR}/more-cpu/status`)
      .send({ status: { phase: 'Approved' } });
    expect(selfApprove.status).toBe(403);
    const approved = await t
      .api()
      .patch(`${QR}/more-cpu/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { phase: 'Approved', reason: 'launch confirmed' } });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toMatchObject({
      phase: 'Approved',
      reason: 'launch confirmed',
      decidedBy: 'system:admin',
      previous: { 'requests.cpu': '2', pods: '10' },
    });
    const tenant = (await t.api().get(TENANT_A)).body;
    expect(tenant.spec.quota.hard).toEqual({ 'requests.cpu': '4', pods: '10' });
    // A decision is final.
    const again = await t
      .api()
      .patch(`${QR}/more-cpu/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { phase: 'Denied', reason: 'changed my mind' } });
    expect(again.status).toBe(422);
    expect(again.body.message).toContain(
      'status.phase: Forbidden: the request was already Approved',
    );
    // The tenant sees the decision.
    const seen = await as(seed.a.tokens.viewer).get(`${QR}/more-cpu`);
    expect(seen.body.status.phase).toBe('Approved');
  });

  it('records a denial with its reason and leaves the quota alone; pending requests can be withdrawn', async () => {
    const admin = as(seed.a.tokens['tenant-admin']);
    await admin
      .post(QR)
      .send(request('huge', 'team-a', '64'))
      .expect(201);
    const bare = await t
      .api()
      .patch(`${QR}/huge/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { phase: 'Denied' } });
    expect(bare.status).toBe(422);
    const denied = await t
      .api()
      .patch(`${QR}/huge/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { phase: 'Denied', reason: 'the cluster has 32 cores' } });
    expect(denied.status).toBe(200);
    expect((await admin.get(`${QR}/huge`)).body.status).toMatchObject({
      phase: 'Denied',
      reason: 'the cluster has 32 cores',
    });
    expect((await t.api().get(TENANT_A)).body.spec.quota.hard['requests.cpu']).toBe('4');
    expect((await admin.delete(`${QR}/huge`)).status).toBe(403);

    await admin
      .post(QR)
      .send(request('oops', 'team-a', '5'))
      .expect(201);
    expect((await admin.delete(`${QR}/oops`)).status).toBe(200);
    expect((await admin.get(`${QR}/oops`)).status).toBe(404);
  });
});
