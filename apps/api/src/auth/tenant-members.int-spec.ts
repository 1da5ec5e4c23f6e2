import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';

const TENANTS = '/apis/tenancy.berth.dev/v1/tenants';
const MERGE = 'application/merge-patch+json';

describe('tenant admins manage their tenant members (real API and PostgreSQL)', () => {
  let s: TestApiServer;
  let seed: TenancySeed;
  const as = (token: string) => ({
    patch: (url: string, body: object) =>
      s
        .anonymous()
        .patch(url)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', MERGE)
        .send(body),
  });

  beforeAll(async () => {
    s = await startTestApiServer();
    seed = await seedTenancy(s);
  });
  afterAll(() => s?.close());

  const members = async (tenant: string) =>
    (await s.api().get(`${TENANTS}/${tenant}`).expect(200)).body.spec.members as Array<{
      user: string;
      role: string;
    }>;

  it('lets a tenant admin add a member and change roles of its own tenant', async () => {
    const a = seed.a;
    const before = await members('team-a');
    const next = [
      ...before.filter((m) => m.user !== 'a-view'),
      { user: 'a-view', role: 'developer' },
    ];
    await as(a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, { spec: { members: next } })
      .expect(200);
    expect(await members('team-a')).toContainEqual({ user: 'a-view', role: 'developer' });
  });

  it('refuses anything but members, another tenant, and other roles', async () => {
    const a = seed.a;
    const quota = await as(a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, { spec: { namespaceLimit: 99 } })
      .expect(403);
    expect(quota.body.message).toBe(
      'tenant "team-a": tenant admins may change only spec.members; for more quota file a QuotaRequest, for anything else ask a cluster admin',
    );
    await as(a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-b`, { spec: { members: [] } })
      .expect(404);
    await as(a.tokens.developer)
      .patch(`${TENANTS}/team-a`, { spec: { members: [] } })
      .expect(403);
  });

  it('keeps at least one tenant admin', async () => {
    const a = seed.a;
    const res = await as(a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, { spec: { members: [{ user: 'a-dev', role: 'developer' }] } })
      .expect(422);
    expect(res.body.message).toContain(
      'a tenant needs at least one member with the role tenant-admin',
    );
    expect((await members('team-a')).some((m) => m.role === 'tenant-admin')).toBe(true);
  });

  it('suspends a tenant: its members may only read, with the reason given, until it is lifted', async () => {
    const a = seed.a;
    const ns = a.namespace;
    const svc = (name: string) => ({
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80 }] },
    });
    const create = (name: string) =>
      s
        .anonymous()
        .post(`/api/v1/namespaces/${ns}/services`)
        .set('Authorization', `Bearer ${a.tokens.developer}`)
        .send(svc(name));
    await s
      .api()
      .patch(`${TENANTS}/team-a`)
      .set('Content-Type', MERGE)
      .send({ spec: { suspended: true } })
      .expect(200);
    const denied = await create('while-suspended').expect(403);
    expect(denied.body.message).toContain(
      'tenant "team-a" is suspended by a cluster admin: its members may only read until it is lifted',
    );
    await s
      .anonymous()
      .get(`/api/v1/namespaces/${ns}/services`)
      .set('Authorization', `Bearer ${a.tokens.developer}`)
      .expect(200);
    // Its admins cannot lift it themselves, nor change members meanwhile.
    await as(a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, { spec: { suspended: false } })
      .expect(403);
    await s
      .api()
      .patch(`${TENANTS}/team-a`)
      .set('Content-Type', MERGE)
      .send({ spec: { suspended: null } })
      .expect(200);
    await create('after-suspension').expect(201);
  });
});
