import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// Quota admission on the real app and PostgreSQL: racing creations never overshoot a
// namespace ResourceQuota or a tenant quota, denials carry the arithmetic, and LimitRange
// defaults fill missing requests and limits.

function pod(name: string, cpu?: string) {
  return {
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}),
        },
      ],
    },
  };
}

describe('quota admission (real API and PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startTestApiServer();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lets exactly the creations that fit through when 50 race for the last 5 slots', async () => {
    const api = t.api();
    expect((await api.post('/api/v1/namespaces').send({ metadata: { name: 'q1' } })).status).toBe(
      201,
    );
    expect(
      (
        await api.post('/api/v1/namespaces/q1/resourcequotas').send({
          metadata: { name: 'compute' },
          spec: { hard: { pods: '10', 'requests.cpu': '1' } },
        })
      ).status,
    ).toBe(201);
    for (let i = 0; i < 5; i++)
      expect(
        (await api.post('/api/v1/namespaces/q1/pods').send(pod(`first-${i}`, '100m'))).status,
      ).toBe(201);

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.post('/api/v1/namespaces/q1/pods').send(pod(`race-${i}`, '100m')),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const denied = results.filter((r) => r.status === 403);
    expect(created).toHaveLength(5);
    expect(denied).toHaveLength(45);
    for (const res of denied) {
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(res.body.message).toMatch(
        /^pods "race-\d+" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=100m, used: pods=10,requests.cpu=1, limited: pods=10,requests.cpu=1$/,
      );
    }
    const pods = (await api.get('/api/v1/namespaces/q1/pods')).body.items;
    expect(pods).toHaveLength(10);
    const quota = (await api.get('/api/v1/namespaces/q1/resourcequotas/compute')).body;
    expect(quota.status.used).toEqual({ pods: '10', 'requests.cpu': '1' });
  });

  it('charges a name taken (before or in the same race) once, and answers 409 for the rest', async () => {
    const api = t.api();
    await api
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'q-dup' } })
      .expect(201);
    await api
      .post('/api/v1/namespaces/q-dup/resourcequotas')
      .send({ metadata: { name: 'compute' }, spec: { hard: { pods: '100' } } })
      .expect(201);
    await api.post('/api/v1/namespaces/q-dup/pods').send(pod('taken', '10m')).expect(201);
    const results = await Promise.all(
      ['taken', 'twin', 'twin', 'twin', 'solo'].map((name) =>
        api.post('/api/v1/namespaces/q-dup/pods').send(pod(name, '10m')),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
    for (const res of results.filter((r) => r.status === 409))
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
    const quota = (await api.get('/api/v1/namespaces/q-dup/resourcequotas/compute')).body;
    // taken, twin and solo: three pods, charged once each.
    expect(quota.status.used).toEqual({ pods: '3' });
    expect((await api.get('/api/v1/namespaces/q-dup/pods')).body.items).toHaveLength(3);
  });

  it('names only what would go over, and charges nothing for kinds the quota does not count', async () => {
    const api = t.api();
    await api.post('/api/v1/namespaces').send({ metadata: { name: 'q2' } });
    await api
      .post('/api/v1/namespaces/q2/resourcequotas')
      .send({ metadata: { name: 'small' }, spec: { hard: { pods: '5', 'requests.cpu': '200m' } } });
    expect((await api.post('/api/v1/namespaces/q2/pods').send(pod('a', '150m'))).status).toBe(201);
    const big = await api.post('/api/v1/namespaces/q2/pods').send(pod('b', '100m'));
    expect(big.status).toBe(403);
    expect(big.body.message).toBe(
      'pods "b" is forbidden: exceeded quota: small, requested: requests.cpu=100m, used: requests.cpu=150m, limited: requests.cpu=200m',
    );
    // A service is not counted by this quota.
    expect(
      (
        await api
          .post('/api/v1/namespaces/q2/services')
          .send({ metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } })
      ).status,
    ).toBe(201);
    const quota = (await api.get('/api/v1/namespaces/q2/resourcequotas/small')).body;
    expect(quota.status.used).toEqual({ pods: '1', 'requests.cpu': '150m' });
  });

  it('refuses object counts beyond the hard limit for the newer kinds, and writes nothing', async () => {
    const api = t.api();
    const podTemplate = {
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    };
    const counted: [string, string, (name: string) => Record<string, unknown>][] = [
      ['count/configmaps', '/api/v1/namespaces/qc/configmaps', () => ({ data: { k: 'v' } })],
      [
        'count/secrets',
        '/api/v1/namespaces/qc/secrets',
        () => ({ type: 'Opaque', data: { k: Buffer.from('v').toString('base64') } }),
      ],
      ['count/serviceaccounts', '/api/v1/namespaces/qc/serviceaccounts', () => ({})],
      [
        'count/jobs.batch',
        '/apis/batch/v1/namespaces/qc/jobs',
        () => ({ spec: { suspend: true, template: podTemplate } }),
      ],
      [
        'count/cronjobs.batch',
        '/apis/batch/v1/namespaces/qc/cronjobs',
        () => ({
          spec: {
            schedule: '0 0 * * *',
            suspend: true,
            jobTemplate: { spec: { template: podTemplate } },
          },
        }),
      ],
      [
        'count/daemonsets.apps',
        '/apis/apps/v1/namespaces/qc/daemonsets',
        (name) => ({
          spec: {
            selector: { matchLabels: { app: name } },
            // A DaemonSet's pods restart Always, as Kubernetes requires.
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: podTemplate.spec.containers },
            },
          },
        }),
      ],
      [
        'count/poddisruptionbudgets.policy',
        '/apis/policy/v1/namespaces/qc/poddisruptionbudgets',
        (name) => ({ spec: { minAvailable: 1, selector: { matchLabels: { app: name } } } }),
      ],
      [
        'count/controllerrevisions.apps',
        '/apis/apps/v1/namespaces/qc/controllerrevisions',
        () => ({ data: { spec: { template: { $patch: 'replace' } } }, revision: 1 }),
      ],
    ];
    expect((await api.post('/api/v1/namespaces').send({ metadata: { name: 'qc' } })).status).toBe(
      201,
    );
    // Whatever the namespace already holds (a default service account, say) plus one.
    const hard: Record<string, string> = {};
    const before: Record<string, number> = {};
    for (const [resource, path] of counted) {
      const list = await api.get(path);
      expect(list.status).toBe(200);
      before[resource] = list.body.items.length;
      hard[resource] = String(before[resource] + 1);
    }
    expect(
      (
        await api
          .post('/api/v1/namespaces/qc/resourcequotas')
          .send({ metadata: { name: 'counts' }, spec: { hard } })
      ).status,
    ).toBe(201);
    for (const [resource, path, body] of counted) {
      // As Kubernetes' Forbidden: the group-qualified resource (jobs.batch).
      const plural = resource.slice('count/'.length);
      const first = await api.post(path).send({ metadata: { name: 'one' }, ...body('one') });
      expect([resource, first.status, first.body.message]).toEqual([resource, 201, undefined]);
      const over = await api.post(path).send({ metadata: { name: 'two' }, ...body('two') });
      expect(over.status).toBe(403);
      expect(over.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
      });
      const n = before[resource] + 1;
      expect(over.body.message).toBe(
        `${plural} "two" is forbidden: exceeded quota: counts, requested: ${resource}=1, used: ${resource}=${n}, limited: ${resource}=${n}`,
      );
      expect((await api.get(`${path}/two`)).status).toBe(404);
      expect((await api.get(path)).body.items).toHaveLength(n);
    }
  });

  it('enforces the tenant quota over the sum of its namespaces, exactly under concurrency', async () => {
    const api = t.api();
    expect(
      (
        await api.post('/apis/tenancy.berth.dev/v1/tenants').send({
          metadata: { name: 'team-q' },
          spec: { quota: { hard: { pods: '3', 'count/services': '1' } } },
        })
      ).status,
    ).toBe(201);
    for (const ns of ['tq1', 'tq2'])
      await api
        .post('/api/v1/namespaces')
        .send({ metadata: { name: ns, labels: { 'tenancy.berth.dev/tenant': 'team-q' } } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.post(`/api/v1/namespaces/${i % 2 ? 'tq1' : 'tq2'}/pods`).send(pod(`t-${i}`)),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const denied = results.filter((r) => r.status === 403);
    expect(denied).toHaveLength(17);
    expect(denied[0].body.message).toMatch(
      /^pods "t-\d+" is forbidden: exceeded tenant quota: team-q, requested: pods=1, used: pods=3, limited: pods=3$/,
    );
    const tenant = (await api.get('/apis/tenancy.berth.dev/v1/tenants/team-q')).body;
    expect(tenant.status.used).toEqual({ 'count/services': '0', pods: '3' });
    expect(
      (
        await api
          .post('/api/v1/namespaces/tq1/services')
          .send({ metadata: { name: 's1' }, spec: { ports: [{ port: 80 }] } })
      ).status,
    ).toBe(201);
    const second = await api
      .post('/api/v1/namespaces/tq2/services')
      .send({ metadata: { name: 's2' }, spec: { ports: [{ port: 80 }] } });
    expect(second.status).toBe(403);
    expect(second.body.message).toBe(
      'services "s2" is forbidden: exceeded tenant quota: team-q, requested: count/services=1, used: count/services=1, limited: count/services=1',
    );
  });

  it('fills LimitRange defaults and refuses pods over its maximum', async () => {
    const api = t.api();
    await api.post('/api/v1/namespaces').send({ metadata: { name: 'lr' } });
    expect(
      (
        await api.post('/api/v1/namespaces/lr/limitranges').send({
          metadata: { name: 'defaults' },
          spec: {
            limits: [
              {
                type: 'Container',
                default: { cpu: '200m' },
                defaultRequest: { cpu: '100m' },
                max: { cpu: '1' },
              },
            ],
          },
        })
      ).status,
    ).toBe(201);
    const created = await api.post('/api/v1/namespaces/lr/pods').send(pod('plain'));
    expect(created.status).toBe(201);
    expect(created.body.spec.containers[0].resources).toEqual({
      requests: { cpu: '100m' },
      limits: { cpu: '200m' },
    });
    const tooBig = await api.post('/api/v1/namespaces/lr/pods').send(pod('big', '2'));
    expect(tooBig.status).toBe(403);
    expect(tooBig.body.message).toBe(
      'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });

  it('lets a tenant admin split the tenant budget into namespace quotas, never beyond it', async () => {
    const api = t.api();
    await api.post('/auth/users').send({ username: 'sally', password: 'sally-pass-1' });
    await api.post('/apis/tenancy.berth.dev/v1/tenants').send({
      metadata: { name: 'team-s' },
      spec: {
        members: [{ user: 'sally', role: 'tenant-admin' }],
        quota: { hard: { 'requests.cpu': '4' } },
      },
    });
    const session = (
      await t.anonymous().post('/auth/login').send({ username: 'sally', password: 'sally-pass-1' })
    ).body.token as string;
    const as = (method: 'post' | 'patch', url: string) =>
      t.anonymous()[method](url).set('Authorization', `Bearer ${session}`);
    for (const ns of ['s1', 's2'])
      expect((await as('post', '/api/v1/namespaces').send({ metadata: { name: ns } })).status).toBe(
        201,
      );
    const quota = (name: string, cpu: string) => ({
      metadata: { name },
      spec: { hard: { 'requests.cpu': cpu } },
    });

    expect(
      (await as('post', '/api/v1/namespaces/s1/resourcequotas').send(quota('q', '3'))).status,
    ).toBe(201);
    const over = await as('post', '/api/v1/namespaces/s2/resourcequotas').send(quota('q', '2'));
    expect(over.status).toBe(403);
    expect(over.body.message).toBe(
      'resourcequotas "q" is forbidden: the namespace quotas of tenant "team-s" would add up to requests.cpu=5 (tenant quota 4); lower another namespace\'s quota, or ask a cluster admin for more with a QuotaRequest',
    );
    expect(
      (await as('post', '/api/v1/namespaces/s2/resourcequotas').send(quota('q', '1'))).status,
    ).toBe(201);
    const raise = await as('patch', '/api/v1/namespaces/s1/resourcequotas/q')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { hard: { 'requests.cpu': '4' } } });
    expect(raise.status).toBe(403);
    const lower = await as('patch', '/api/v1/namespaces/s1/resourcequotas/q')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { hard: { 'requests.cpu': '2' } } });
    expect(lower.status).toBe(200);

    // 1 CPU of budget is left: of 10 racing quotas of 1 CPU, exactly one fits.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        as('post', '/api/v1/namespaces/s2/resourcequotas').send(quota(`r${i}`, '1')),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 403)).toHaveLength(9);
  });

  it('keeps a tenant within its namespace limit when its admin creates namespaces in a race', async () => {
    const api = t.api();
    await api.post('/auth/users').send({ username: 'nina', password: 'nina-pass-1' });
    await api.post('/apis/tenancy.berth.dev/v1/tenants').send({
      metadata: { name: 'team-n' },
      spec: { namespaceLimit: 2, members: [{ user: 'nina', role: 'tenant-admin' }] },
    });
    const session = (
      await t.anonymous().post('/auth/login').send({ username: 'nina', password: 'nina-pass-1' })
    ).body.token as string;
    const create = (name: string) =>
      t
        .anonymous()
        .post('/api/v1/namespaces')
        .set('Authorization', `Bearer ${session}`)
        .send({ metadata: { name } });
    expect((await create('n-first')).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(`n-race-${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const denied = results.filter((r) => r.status === 403);
    expect(denied).toHaveLength(9);
    expect(denied[0].body.message).toMatch(
      /^namespace "n-race-\d" is forbidden: tenant "team-n" already has 2 of its 2 namespaces \(n-first, n-race-\d\); delete one or ask a cluster admin to raise spec.namespaceLimit$/,
    );
  });
});
