import { EVICTION_MULTIPLE_BUDGETS, EVICTION_VIOLATES_BUDGET } from '@berth/core';
import { seedTenancy } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// The Eviction subresource on the real app and PostgreSQL (no worker: the budget's status is
// written here as the disruption controller would). A budget allowing one disruption lets
// exactly one of several concurrent evictions through; the rest get Kubernetes' 429.
const NS = 'evict';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const PDBS = `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`;

describe('pods/eviction (real PostgreSQL)', () => {
  let t: TestApiServer;
  const api = () => t.api();

  const makePod = async (name: string, ready: boolean, app = 'web') => {
    await api()
      .post(PODS)
      .send({
        metadata: { name, labels: { app } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      })
      .expect(201);
    await api()
      .patch(`${PODS}/${name}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        },
      })
      .expect(200);
  };
  const makePdb = async (
    name: string,
    app: string,
    status: { allowed: number; healthy: number; desired: number },
    spec: Record<string, unknown> = { minAvailable: status.desired },
  ) => {
    await api()
      .post(PDBS)
      .send({ metadata: { name }, spec: { ...spec, selector: { matchLabels: { app } } } })
      .expect(201);
    await api()
      .patch(`${PDBS}/${name}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        status: {
          observedGeneration: 1,
          disruptionsAllowed: status.allowed,
          currentHealthy: status.healthy,
          desiredHealthy: status.desired,
          expectedPods: status.healthy,
        },
      })
      .expect(200);
  };
  const evict = (name: string, extra: Record<string, unknown> = {}, query = '') =>
    api()
      .post(`${PODS}/${name}/eviction${query}`)
      .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name }, ...extra });
  const exists = async (name: string) => (await api().get(`${PODS}/${name}`)).status === 200;

  beforeAll(async () => {
    t = await startTestApiServer();
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is advertised in discovery as pods/eviction (policy/v1 Eviction), as kubectl drain looks for', async () => {
    const res = await api().get('/api/v1').expect(200);
    expect(
      res.body.resources.find((r: { name: string }) => r.name === 'pods/eviction'),
    ).toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  });

  it('lets exactly one of five concurrent evictions through a budget allowing one', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const n of names) await makePod(n, true);
    await makePdb('web', 'web', { allowed: 1, healthy: 5, desired: 4 });
    const answers = await Promise.all(names.map((n) => evict(n)));
    const passed = names.filter((_, i) => answers[i].status === 201);
    expect(passed).toHaveLength(1);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 429, 429, 429, 429]);
    const refused = answers.find((r) => r.status === 429)!.body;
    expect(refused).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      code: 429,
      message: EVICTION_VIOLATES_BUDGET,
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 4 healthy pods and has 5 currently',
          },
        ],
      },
    });
    expect(answers.find((r) => r.status === 201)!.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
    });
    // The one evicted is gone, the budget says so, and the four others are still there.
    for (const n of names) expect([n, await exists(n)]).toEqual([n, !passed.includes(n)]);
    const pdb = (await api().get(`${PDBS}/web`).expect(200)).body;
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status.disruptedPods)).toEqual(passed);
  });

  it('answers 404 for a missing pod and writes nothing', async () => {
    const before = (await api().get(`${PDBS}/web`).expect(200)).body.metadata.resourceVersion;
    const res = await evict('nope').expect(404);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect(res.body.message).toBe('pods "nope" not found');
    expect((await api().get(`${PDBS}/web`)).body.metadata.resourceVersion).toBe(before);
  });

  it('refuses a body that is not an Eviction of the pod in the URL, with a field path', async () => {
    await makePod('solo', true, 'solo');
    const res = await api()
      .post(`${PODS}/solo/eviction`)
      .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } })
      .expect(400);
    expect(res.body.details.causes[0].field).toBe('metadata.name');
    await api()
      .post(`${PODS}/solo/eviction`)
      .send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo' } })
      .expect(400);
    expect(await exists('solo')).toBe(true);
  });

  it('honours dryRun and preconditions, and accepts policy/v1beta1', async () => {
    await evict('solo', { deleteOptions: { dryRun: ['All'] } }).expect(201);
    await evict('solo', {}, '?dryRun=All').expect(201);
    expect(await exists('solo')).toBe(true);
    const res = await evict('solo', { deleteOptions: { preconditions: { uid: 'not-it' } } });
    expect(res.status).toBe(409);
    expect(await exists('solo')).toBe(true);
    await api()
      .post(`${PODS}/solo/eviction`)
      .send({
        apiVersion: 'policy/v1beta1',
        kind: 'Eviction',
        metadata: { name: 'solo' },
        deleteOptions: { gracePeriodSeconds: 0 },
      })
      .expect(201);
    expect(await exists('solo')).toBe(false);
  });

  it('is a 500 naming the limit when two budgets select the pod', async () => {
    await makePod('twice', true, 'twice');
    await makePdb('twice-1', 'twice', { allowed: 1, healthy: 1, desired: 0 });
    await makePdb('twice-2', 'twice', { allowed: 1, healthy: 1, desired: 0 });
    const res = await evict('twice').expect(500);
    expect(res.body).toMatchObject({ reason: 'InternalError', code: 500 });
    expect(res.body.message).toBe(`Internal error occurred: ${EVICTION_MULTIPLE_BUDGETS}`);
    expect(await exists('twice')).toBe(true);
  });

  it('evicts an unready pod without taking a disruption when the budget is healthy (IfHealthyBudget)', async () => {
    await makePod('h1', true, 'h');
    await makePod('h2', true, 'h');
    await makePod('sick', false, 'h');
    await makePdb('h', 'h', { allowed: 0, healthy: 2, desired: 2 });
    // Ready pods may not go: nothing is allowed.
    await evict('h1').expect(429);
    await evict('sick').expect(201);
    const pdb = (await api().get(`${PDBS}/h`).expect(200)).body;
    expect([pdb.status.disruptionsAllowed, pdb.status.disruptedPods]).toEqual([0, undefined]);
  });

  it('evicts an unready pod under an unhealthy budget only with AlwaysAllow', async () => {
    await makePod('u1', false, 'u');
    await makePdb('u', 'u', { allowed: 0, healthy: 0, desired: 1 });
    await evict('u1').expect(429);
    await makePod('v1', false, 'v');
    await makePdb(
      'v',
      'v',
      { allowed: 0, healthy: 0, desired: 1 },
      { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    );
    await evict('v1').expect(201);
    expect([await exists('u1'), await exists('v1')]).toEqual([true, false]);
  });

  it("lets a tenant's developer evict its own pods, a viewer not, and hides other tenants' pods (404)", async () => {
    const seed = await seedTenancy(t);
    const create = (ns: string, name: string) =>
      api()
        .post(`/api/v1/namespaces/${ns}/pods`)
        .send({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })
        .expect(201);
    await create(seed.a.namespace, 'mine');
    await create(seed.b.namespace, 'theirs');
    const evictAs = (token: string, ns: string, name: string) =>
      t
        .anonymous()
        .post(`/api/v1/namespaces/${ns}/pods/${name}/eviction`)
        .set('Authorization', `Bearer ${token}`)
        .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
    const other = await evictAs(seed.a.tokens.developer, seed.b.namespace, 'theirs');
    expect(other.status).toBe(404);
    expect((await evictAs(seed.a.tokens.viewer, seed.a.namespace, 'mine')).status).toBe(403);
    expect((await evictAs(seed.a.tokens.developer, seed.a.namespace, 'mine')).status).toBe(201);
    expect((await api().get(`/api/v1/namespaces/${seed.b.namespace}/pods/theirs`)).status).toBe(
      200,
    );
  });
});
