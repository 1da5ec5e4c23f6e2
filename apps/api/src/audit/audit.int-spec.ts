import { eventuallyTrue } from '../testing/eventually';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

interface Entry {
  id: string;
  user: string;
  verb: string;
  resource: string;
  namespace: string;
  name: string;
  tenant?: string;
  path: string;
  code: number;
  outcome: string;
  message: string;
  before?: { spec?: { members?: unknown[]; hard?: Record<string, string> } };
  after?: { spec?: { members?: unknown[]; hard?: Record<string, string> } };
}

// The audit trail on the real app and PostgreSQL: every mutating request recorded with who,
// what and the outcome; before and after for quota, membership and role changes; tenant
// admins read their tenant's part, cluster admins all of it.
describe('audit trail (real API and PostgreSQL)', () => {
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
  const all = async (): Promise<Entry[]> =>
    (await t.api().get('/audit/events?limit=1000')).body.items;

  beforeAll(async () => {
    t = await startTestApiServer();
    seed = await seedTenancy(t);
    const aAdmin = as(seed.a.tokens['tenant-admin']);
    await aAdmin
      .post('/apis/apps/v1/namespaces/a1/deployments')
      .send({
        metadata: { name: 'web' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      })
      .expect(201);
    await as(seed.a.tokens.viewer)
      .delete('/apis/apps/v1/namespaces/a1/deployments/web')
      .expect(403);
    await as(seed.b.tokens.developer)
      .post('/api/v1/namespaces/b1/services')
      .send({ metadata: { name: 'b-svc' }, spec: { ports: [{ port: 80 }] } })
      .expect(201);
    await aAdmin
      .post('/api/v1/namespaces/a1/resourcequotas')
      .send({ metadata: { name: 'q' }, spec: { hard: { pods: '5' } } })
      .expect(201);
    await aAdmin
      .patch('/api/v1/namespaces/a1/resourcequotas/q')
      .send({ spec: { hard: { pods: '8' } } })
      .expect(200);
    await t
      .api()
      .patch('/apis/tenancy.berth.dev/v1/tenants/team-a')
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        spec: {
          members: [
            { user: 'a-admin', role: 'tenant-admin' },
            { user: 'a-dev', role: 'developer' },
          ],
        },
      })
      .expect(200);
    await t
      .anonymous()
      .post('/auth/login')
      .send({ username: 'a-dev', password: 'wrong-password' })
      .expect(401);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('records who did what, and the outcome, for every mutating request', async () => {
    // Records are written as responses finish: wait for every one this test made.
    await eventuallyTrue(async () => {
      const e = await all();
      return (
        e.some((x) => x.path === '/auth/login' && x.code === 401) &&
        e.some((x) => x.resource === 'tenants' && x.verb === 'patch') &&
        e.some((x) => x.resource === 'resourcequotas' && x.verb === 'patch') &&
        e.some((x) => x.resource === 'deployments' && x.verb === 'delete') &&
        e.some((x) => x.resource === 'services' && x.name === 'b-svc')
      );
    }, 'every request of this test on the trail');
    const events = await all();
    expect(events.find((e) => e.resource === 'deployments' && e.verb === 'create')).toMatchObject({
      user: 'a-admin',
      namespace: 'a1',
      name: 'web',
      tenant: 'team-a',
      code: 201,
      outcome: 'Success',
    });
    expect(events.find((e) => e.resource === 'deployments' && e.verb === 'delete')).toMatchObject({
      user: 'a-view',
      code: 403,
      outcome: 'Denied',
      message: expect.stringContaining('cannot delete resource "deployments"'),
    });
    expect(events.find((e) => e.path === '/auth/login' && e.code === 401)).toMatchObject({
      user: 'a-dev',
      verb: 'create',
      outcome: 'Denied',
    });
    // Reads are not recorded; ids are newest first.
    expect(events.some((e) => e.verb === 'get' || e.verb === 'list')).toBe(false);
    const ids = events.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);
  });

  it("records a person's read of one Secret (verb get, no body), not lists or other reads", async () => {
    const admin = as(seed.a.tokens['tenant-admin']);
    await admin
      .post('/api/v1/namespaces/a1/secrets')
      .send({
        metadata: { name: 'db' },
        data: { password: Buffer.from('hunter2').toString('base64') },
      })
      .expect(201);
    await admin.get('/api/v1/namespaces/a1/secrets').expect(200);
    await admin.get('/api/v1/namespaces/a1/configmaps').expect(200);
    const read = await admin.get('/api/v1/namespaces/a1/secrets/db').expect(200);
    expect(read.body.data.password).toBe(Buffer.from('hunter2').toString('base64'));
    await eventuallyTrue(
      async () => (await all()).some((e) => e.resource === 'secrets' && e.verb === 'get'),
      'the Secret read on the trail',
    );
    const events = await all();
    const gets = events.filter((e) => e.resource === 'secrets' && e.verb === 'get');
    expect(gets).toHaveLength(1);
    expect(gets[0]).toMatchObject({
      user: 'a-admin',
      namespace: 'a1',
      name: 'db',
      tenant: 'team-a',
      code: 200,
      outcome: 'Success',
    });
    expect(gets[0].before).toBeUndefined();
    expect(gets[0].after).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(events.some((e) => e.verb === 'list')).toBe(false);
    expect(events.some((e) => e.resource === 'configmaps')).toBe(false);
  });

  it('keeps every event when requests with NUL bytes come in the same batch', async () => {
    // On the trail with the others (written in one batch): one bad event must not drop them.
    const [good, ...bad] = await Promise.all([
      t
        .api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: 'nul-neighbour' } }),
      t
        .api()
        .post('/api/v1/namespaces/bad%00ns/services')
        .send({ metadata: { name: 's' } }),
      t
        .api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: 'nul\u0000name' } }),
      t
        .anonymous()
        .post('/auth/login')
        .set('User-Agent', 'probe')
        .send({ username: 'a-dev\u0000', password: 'x' }),
      t.api().delete('/api/v1/namespaces/nul%00gone'),
    ]);
    expect(good.status).toBe(201);
    await eventuallyTrue(
      async () => (await all()).some((e) => e.name === 'nul-neighbour' && e.code === 201),
      'the create written in the same batch as the NUL requests on the trail',
      5000,
    );
    for (const res of bad) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    }
    await eventuallyTrue(
      async () =>
        (await all()).filter((e) => e.code === 400 && /NUL/.test(e.message)).length >= bad.length,
      'the four refusals on the trail',
    );
    const metrics = (await t.anonymous().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^berth_apiserver_audit_events_dropped_total\{reason="rejected"\} 0$/m);
    expect(metrics).toMatch(/^berth_apiserver_audit_write_failures_total\{cause="rejected"\} 0$/m);
    expect(metrics).toMatch(/^berth_apiserver_audit_events_written_total [1-9]/m);
  });

  it('keeps the before and after of quota and membership changes', async () => {
    const events = await all();
    const quotaPatch = events.find((e) => e.resource === 'resourcequotas' && e.verb === 'patch')!;
    expect(quotaPatch.before?.spec?.hard).toEqual({ pods: '5' });
    expect(quotaPatch.after?.spec?.hard).toEqual({ pods: '8' });
    const membership = events.find((e) => e.resource === 'tenants' && e.verb === 'patch')!;
    expect(membership).toMatchObject({ user: 'system:admin', name: 'team-a', tenant: 'team-a' });
    expect(membership.before?.spec?.members).toHaveLength(3);
    expect(membership.after?.spec?.members).toHaveLength(2);
  });

  it("shows tenant admins their tenant's part only, and nobody else anything", async () => {
    const mine: Entry[] = (await as(seed.a.tokens['tenant-admin']).get('/audit/events')).body.items;
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((e) => e.tenant))).toEqual(new Set(['team-a']));
    expect(mine.some((e) => e.name === 'b-svc')).toBe(false);
    expect(
      (await as(seed.a.tokens['tenant-admin']).get('/audit/events?tenant=team-b')).status,
    ).toBe(404);
    expect((await as(seed.a.tokens.developer).get('/audit/events')).status).toBe(403);
    const theirs: Entry[] = (await as(seed.b.tokens['tenant-admin']).get('/audit/events')).body
      .items;
    expect(theirs.some((e) => e.name === 'b-svc')).toBe(true);
    expect(theirs.some((e) => e.tenant === 'team-a')).toBe(false);
  });

  it('pages newest first with limit and continue', async () => {
    const first = (await t.api().get('/audit/events?limit=2')).body;
    expect(first.items).toHaveLength(2);
    const second = (await t.api().get(`/audit/events?limit=2&continue=${first.continue}`)).body;
    expect(BigInt(second.items[0].id)).toBeLessThan(BigInt(first.items[1].id));
  });
});
