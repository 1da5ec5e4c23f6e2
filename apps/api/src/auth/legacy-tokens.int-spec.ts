import { eventuallyTrue } from '../testing/eventually';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

const tokenSecret = (name: string, account: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, annotations: { 'kubernetes.io/service-account.name': account } },
  type: 'kubernetes.io/service-account-token',
});

describe('legacy service account token Secrets (real API and PostgreSQL)', () => {
  let s: TestApiServer;
  let seed: TenancySeed;
  const as = (token: string, url: string) =>
    s.anonymous().get(url).set('Authorization', `Bearer ${token}`);
  const secretUrl = (name: string) => `/api/v1/namespaces/${seed.a.namespace}/secrets/${name}`;
  /** The Secret once the controller has filled it. */
  async function filled(name: string): Promise<Record<string, any>> {
    let got: Record<string, any> = {};
    await eventuallyTrue(async () => {
      got = (await s.api().get(secretUrl(name))).body;
      return typeof got.data?.token === 'string';
    }, `secret ${name} to get its token`);
    return got;
  }

  beforeAll(async () => {
    s = await startTestApiServer();
    seed = await seedTenancy(s);
  });
  afterAll(() => s?.close());

  it('fills the Secret and its token acts as the account until the Secret goes', async () => {
    const ns = seed.a.namespace;
    const sa = (
      await s
        .api()
        .post(`/api/v1/namespaces/${ns}/serviceaccounts`)
        .send({ metadata: { name: 'legacy' } })
        .expect(201)
    ).body;
    await s
      .api()
      .post(`/api/v1/namespaces/${ns}/secrets`)
      .send(tokenSecret('legacy-token', 'legacy'))
      .expect(201);
    const secret = await filled('legacy-token');
    expect(secret.metadata.annotations['kubernetes.io/service-account.uid']).toBe(sa.metadata.uid);
    expect(Buffer.from(secret.data.namespace, 'base64').toString()).toBe(ns);
    const token = Buffer.from(secret.data.token, 'base64').toString();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toEqual({
      iss: 'kubernetes/serviceaccount',
      sub: `system:serviceaccount:${ns}:legacy`,
      'kubernetes.io/serviceaccount/namespace': ns,
      'kubernetes.io/serviceaccount/secret.name': 'legacy-token',
      'kubernetes.io/serviceaccount/service-account.name': 'legacy',
      'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
    });
    const who = await s
      .anonymous()
      .post('/apis/authentication.k8s.io/v1/selfsubjectreviews')
      .set('Authorization', `Bearer ${token}`)
      .send({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
      .expect(201);
    expect(who.body.status.userInfo.username).toBe(`system:serviceaccount:${ns}:legacy`);
    expect(who.body.status.userInfo.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`]),
    );
    // Authenticated: RBAC answers (403), not 401.
    await as(token, `/api/v1/namespaces/${ns}/pods`).expect(403);
    // A viewer of the namespace cannot read it; another tenant does not see it.
    await as(seed.a.tokens.viewer, secretUrl('legacy-token')).expect(403);
    await as(seed.b.tokens['tenant-admin'], secretUrl('legacy-token')).expect(404);

    await s.api().delete(secretUrl('legacy-token')).expect(200);
    const gone = await as(token, `/api/v1/namespaces/${ns}/pods`);
    expect(gone.status).toBe(401);
    expect(gone.body.message).toContain(`secret ${ns}/legacy-token no longer exists`);
  });

  it('refuses a token whose account was deleted, and deletes that account’s token Secrets', async () => {
    const ns = seed.a.namespace;
    await s
      .api()
      .post(`/api/v1/namespaces/${ns}/serviceaccounts`)
      .send({ metadata: { name: 'brief' } })
      .expect(201);
    await s
      .api()
      .post(`/api/v1/namespaces/${ns}/secrets`)
      .send(tokenSecret('brief-token', 'brief'))
      .expect(201);
    const token = Buffer.from((await filled('brief-token')).data.token, 'base64').toString();
    await as(token, `/api/v1/namespaces/${ns}/pods`).expect(403);
    await s.api().delete(`/api/v1/namespaces/${ns}/serviceaccounts/brief`).expect(200);
    const refused = await as(token, `/api/v1/namespaces/${ns}/pods`);
    expect(refused.status).toBe(401);
    await eventuallyTrue(
      async () => (await s.api().get(secretUrl('brief-token'))).status === 404,
      'the account’s token Secret to be deleted',
    );
  });

  it('deletes a Secret naming a missing account, as Kubernetes’ token controller does', async () => {
    const ns = seed.a.namespace;
    await s
      .api()
      .post(`/api/v1/namespaces/${ns}/secrets`)
      .send(tokenSecret('ghost-token', 'ghost'))
      .expect(201);
    await eventuallyTrue(
      async () => (await s.api().get(secretUrl('ghost-token'))).status === 404,
      'the Secret of a missing account to be deleted',
    );
    // A forged token (right claims, wrong key) is refused.
    const forged = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: 'kubernetes/serviceaccount' }),
    ).toString('base64url')}.c2ln`;
    await as(forged, `/api/v1/namespaces/${ns}/pods`).expect(401);
  });
});
