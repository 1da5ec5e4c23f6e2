import { JwtService } from '@nestjs/jwt';
import { eventuallyTrue } from '../testing/eventually';
import { pod } from '../testing/resource-fixtures';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const sa = (name: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });

describe('service accounts: admission, tokens, RBAC subjects, tenant confinement (real API and PostgreSQL)', () => {
  let s: TestApiServer;
  let seed: TenancySeed;
  const bearer = (token: string) => ({
    get: (url: string) => s.anonymous().get(url).set('Authorization', `Bearer ${token}`),
  });
  const tokenFor = async (ns: string, name: string, spec: object = {}) =>
    (
      await s
        .api()
        .post(`/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`)
        .send({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec })
        .expect(201)
    ).body;

  beforeAll(async () => {
    s = await startTestApiServer();
    seed = await seedTenancy(s);
  });
  afterAll(() => s?.close());

  it('makes default, kube-system and kube-public at start, and the kubernetes Service', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public'])
      await s.api().get(`/api/v1/namespaces/${ns}`).expect(200);
    const svc = (await s.api().get('/api/v1/namespaces/default/services/kubernetes').expect(200))
      .body;
    expect(svc.spec.ports[0]).toMatchObject({ name: 'https', port: 443 });
    const ep = (await s.api().get('/api/v1/namespaces/default/endpoints/kubernetes').expect(200))
      .body;
    expect(ep.subsets[0].ports[0].port).toBe(svc.spec.ports[0].targetPort);
    // kube-public is readable by every authenticated user (not listed among their own).
    const review = await s
      .anonymous()
      .post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      .set('Authorization', `Bearer ${seed.a.tokens.viewer}`)
      .send({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: { namespace: 'kube-public', verb: 'list', resource: 'configmaps' },
        },
      })
      .expect(201);
    expect(review.body.status.allowed).toBe(true);
    const listed = await bearer(seed.a.tokens.viewer).get('/api/v1/namespaces').expect(200);
    expect(listed.body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual([
      seed.a.namespace,
    ]);
    // Cluster admins only: a tenant member finds no kube-system.
    await bearer(seed.a.tokens['tenant-admin'])
      .get('/api/v1/namespaces/kube-system/pods')
      .expect(404);
  });

  it('gives every namespace a default account, and pods run as it', async () => {
    await s.api().get(`/api/v1/namespaces/${seed.a.namespace}/serviceaccounts/default`).expect(200);
    const created = await s
      .api()
      .post(`/api/v1/namespaces/${seed.a.namespace}/pods`)
      .send(pod('plain'))
      .expect(201);
    expect(created.body.spec.serviceAccountName).toBe('default');
  });

  it('refuses a pod naming a missing account, as kube-apiserver does', async () => {
    const body = pod('ghostly');
    (body.spec as Record<string, unknown>).serviceAccountName = 'ghost';
    const res = await s.api().post(`/api/v1/namespaces/${seed.a.namespace}/pods`).send(body);
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(
      `pods "ghostly" is forbidden: error looking up service account ${seed.a.namespace}/ghost: serviceaccount "ghost" not found`,
    );
  });

  it('issues tokens that act as the account once bound, confined to its tenant', async () => {
    const a1 = seed.a.namespace;
    await s.api().post(`/api/v1/namespaces/${a1}/serviceaccounts`).send(sa('bot')).expect(201);
    const tr = await tokenFor(a1, 'bot', { expirationSeconds: 600 });
    expect(tr.status.token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(tr.status.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({
      sub: `system:serviceaccount:${a1}:bot`,
      'kubernetes.io': { namespace: a1, serviceaccount: { name: 'bot' } },
    });
    expect(claims.exp - claims.iat).toBe(600);
    const bot = bearer(tr.status.token);
    await bot.get(`/api/v1/namespaces/${a1}/pods`).expect(403);

    await s
      .api()
      .post(`${RBAC}/namespaces/${a1}/rolebindings`)
      .send({
        metadata: { name: 'bot-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: a1 }],
      })
      .expect(201);
    // A cluster-wide grant does not reach past the account's tenant.
    await s
      .api()
      .post(`${RBAC}/clusterrolebindings`)
      .send({
        metadata: { name: 'bot-everything' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: a1 }],
      })
      .expect(201);
    await eventuallyTrue(
      async () => (await bot.get(`/api/v1/namespaces/${a1}/pods`)).status === 200,
      'the role binding to reach the policy cache',
    );
    await s
      .api()
      .post(`/api/v1/namespaces/${seed.b.namespace}/pods`)
      .send(pod('b-pod'))
      .expect(201);
    await bot.get(`/api/v1/namespaces/${seed.b.namespace}/pods`).expect(404);
    await bot.get(`/api/v1/namespaces/${seed.b.namespace}/pods/b-pod`).expect(404);
    const all = (await bot.get('/api/v1/pods').expect(200)).body.items as Array<{
      metadata: { namespace: string };
    }>;
    expect(new Set(all.map((p) => p.metadata.namespace))).toEqual(new Set([a1]));
    const who = await s
      .anonymous()
      .post('/apis/authentication.k8s.io/v1/selfsubjectreviews')
      .set('Authorization', `Bearer ${tr.status.token}`)
      .send({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
      .expect(201);
    expect(who.body.status.userInfo.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${a1}`]),
    );
  });

  it('refuses short tokens, and tokens die with their pod and their account', async () => {
    const a1 = seed.a.namespace;
    const short = await s
      .api()
      .post(`/api/v1/namespaces/${a1}/serviceaccounts/default/token`)
      .send({ spec: { expirationSeconds: 60 } });
    expect(short.status).toBe(422);
    expect(short.body.message).toContain('may not specify a duration less than 10 minutes');

    // Expired (signed with the API's own key, as an old token would be) and foreign-audience
    // tokens are refused.
    const real = await tokenFor(a1, 'default');
    const claims = JSON.parse(
      Buffer.from(real.status.token.split('.')[1], 'base64url').toString(),
    ) as Record<string, unknown>;
    const jwt = s.server.app.get(JwtService);
    const past = Math.floor(Date.now() / 1000) - 700;
    const expired = await jwt.signAsync(
      { ...claims, iat: past, nbf: past, exp: past + 600 },
      { algorithm: 'HS256' },
    );
    const old = await bearer(expired).get(`/api/v1/namespaces/${a1}/pods`);
    expect(old.status).toBe(401);
    expect(old.body.message).toContain('the service account token has expired');
    const foreign = await tokenFor(a1, 'default', { audiences: ['vault'] });
    await bearer(foreign.status.token).get(`/api/v1/namespaces/${a1}/pods`).expect(401);

    await s.api().post(`/api/v1/namespaces/${a1}/serviceaccounts`).send(sa('temp')).expect(201);
    const p = (await s.api().post(`/api/v1/namespaces/${a1}/pods`).send(pod('holder')).expect(201))
      .body;
    const bound = await tokenFor(a1, 'temp', {
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'holder', uid: p.metadata.uid },
    });
    const free = await tokenFor(a1, 'temp');
    // Authenticated (403 from RBAC, not 401) while pod and account live.
    await bearer(bound.status.token).get(`/api/v1/namespaces/${a1}/pods`).expect(403);
    await s
      .api()
      .delete(`/api/v1/namespaces/${a1}/pods/holder`)
      .send({ gracePeriodSeconds: 0 })
      .expect(200);
    await eventuallyTrue(
      async () => (await s.api().get(`/api/v1/namespaces/${a1}/pods/holder`)).status === 404,
      'the pod to be gone',
    );
    const dead = await bearer(bound.status.token).get(`/api/v1/namespaces/${a1}/pods`);
    expect(dead.status).toBe(401);
    expect(dead.body.message).toContain('no longer exists');
    await bearer(free.status.token).get(`/api/v1/namespaces/${a1}/pods`).expect(403);
    await s.api().delete(`/api/v1/namespaces/${a1}/serviceaccounts/temp`).expect(200);
    const gone = await bearer(free.status.token).get(`/api/v1/namespaces/${a1}/pods`);
    expect(gone.status).toBe(401);
    expect(gone.body.message).toContain(`service account ${a1}/temp no longer exists`);
  });
});
