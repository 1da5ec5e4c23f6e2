import { Client } from 'pg';
import { eventuallyTrue } from '../testing/eventually';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// Authentication against the real app, PostgreSQL and Redis: passwords, sessions, API
// tokens (revocation and expiry take effect on the next request), the login limiter,
// bootstrap tokens and node credentials.
describe('authentication (real API, PostgreSQL, Redis)', () => {
  let t: TestApiServer;
  const MAX_FAILURES = 3;

  beforeAll(async () => {
    t = await startTestApiServer({ loginMaxFailures: MAX_FAILURES });
  });

  afterAll(async () => {
    await t?.close();
  });

  const bearer = (token: string) => ({
    get: (url: string) => t.anonymous().get(url).set('Authorization', `Bearer ${token}`),
    post: (url: string) => t.anonymous().post(url).set('Authorization', `Bearer ${token}`),
    delete: (url: string) => t.anonymous().delete(url).set('Authorization', `Bearer ${token}`),
  });
  const login = (username: string, password: string) =>
    t.anonymous().post('/auth/login').send({ username, password });

  async function sql(text: string, params: unknown[]): Promise<void> {
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      await client.query(text, params);
    } finally {
      await client.end();
    }
  }

  it('answers 401 Statuses without a token or with a bad one', async () => {
    for (const res of [
      await t.anonymous().get('/api/v1/namespaces'),
      await bearer('nonsense').get('/api/v1/namespaces'),
      await bearer('bt_' + 'x'.repeat(43)).get('/auth/whoami'),
      await bearer('a.b.c').get('/auth/whoami'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized' });
      expect(res.body.message).toMatch(/^Unauthorized: /);
    }
  });

  it('lets a cluster admin create users, with clear errors for bad input', async () => {
    const created = await t
      .api()
      .post('/auth/users')
      .send({ username: 'alice', password: 'alice-pass-1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'alice', clusterAdmin: false, disabled: false });
    expect(JSON.stringify(created.body)).not.toMatch(/pass|hash/i);

    const dup = await t
      .api()
      .post('/auth/users')
      .send({ username: 'alice', password: 'x'.repeat(8) });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toBe('users "alice" already exists');
    const bad = await t
      .api()
      .post('/auth/users')
      .send({ username: 'Alice!', password: 'x'.repeat(8) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/username "Alice!" is invalid/);
    const short = await t.api().post('/auth/users').send({ username: 'bob', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.message).toBe('password must be a string of at least 8 characters');
    // Nothing half-written: bob does not exist.
    const users = await t.api().get('/auth/users');
    expect(users.body.items.map((u: { username: string }) => u.username)).toEqual(['alice']);
  });

  it('logs in with a password and serves the session as a bearer token', async () => {
    const res = await login('alice', 'alice-pass-1');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'alice' });
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now() + 30 * 60_000);
    const who = await bearer(res.body.token).get('/auth/whoami');
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({
      username: 'alice',
      groups: ['system:authenticated'],
      clusterAdmin: false,
      authenticatedBy: 'session',
    });

    const wrong = await login('alice', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('Unauthorized: invalid username or password');
    const nobody = await login('nobody', 'whatever-1');
    expect(nobody.status).toBe(401);
    expect(nobody.body.message).toBe(wrong.body.message); // no hint that the user is unknown
    const missing = await t.anonymous().post('/auth/login').send({ username: 'alice' });
    expect(missing.status).toBe(400);
  });

  it('takes a bearer token from the Authorization header only, never from the query string or the body', async () => {
    await t
      .api()
      .post('/auth/users')
      .send({ username: 'quinn', password: 'quinn-pass-1' })
      .expect(201);
    const session = (await login('quinn', 'quinn-pass-1')).body.token as string;
    const created = await bearer(session).post('/auth/tokens').send({ name: 'in-url' });
    const token = created.body.token as string;
    for (const valid of [session, token, 'test-admin-token-0123456789']) {
      // The header works…
      expect((await bearer(valid).get('/auth/whoami')).status).toBe(200);
      // …the query string and a body field do not (tokens in URLs end up in logs).
      const inQuery = await t.anonymous().get(`/auth/whoami?access_token=${valid}`);
      expect(inQuery.status).toBe(401);
      expect(inQuery.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
      const post = await t
        .anonymous()
        .post(`/auth/tokens?access_token=${encodeURIComponent(valid)}`)
        .send({ name: 'x' });
      expect(post.status).toBe(401);
      const inBody = await t
        .anonymous()
        .post('/auth/tokens')
        .send({ name: 'x', access_token: valid });
      expect(inBody.status).toBe(401);
      expect((await t.anonymous().get(`/api/v1/namespaces?access_token=${valid}`)).status).toBe(
        401,
      );
    }
    // A header with a stray query token is still the header's.
    expect((await bearer(token).get('/auth/whoami?access_token=nonsense')).status).toBe(200);
  });

  it('refuses impersonation (kubectl --as) with 403 instead of answering as the sender', async () => {
    for (const headers of [
      { 'Impersonate-User': 'dave' },
      { 'Impersonate-Group': 'system:masters' },
      { 'Impersonate-Uid': '42' },
    ]) {
      const res = await t.api().get('/api/v1/namespaces').set(headers);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
      expect(res.body.message).toContain('impersonation is not supported');
      expect(res.body.message).toContain(Object.keys(headers)[0]);
    }
    const review = await t
      .api()
      .post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      .set('Impersonate-User', 'dave')
      .send({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'create', resource: 'deployments', group: 'apps' } },
      });
    expect(review.status).toBe(403);
    // Unauthenticated still comes first.
    expect(
      (await t.anonymous().get('/api/v1/namespaces').set('Impersonate-User', 'dave')).status,
    ).toBe(401);
    expect((await t.api().get('/api/v1/namespaces')).status).toBe(200);
  });

  it('denies a plain user everything RBAC does not grant (deny by default)', async () => {
    const token = (await login('alice', 'alice-pass-1')).body.token;
    // A namespace she has nothing in does not exist for her.
    const pods = await bearer(token).get('/api/v1/namespaces/default/pods');
    expect(pods.status).toBe(404);
    expect(pods.body.message).toBe('namespaces "default" not found');
    // Cluster-scoped kinds she may not read: a Kubernetes 403.
    const roles = await bearer(token).get('/apis/rbac.authorization.k8s.io/v1/clusterroles');
    expect(roles.status).toBe(403);
    expect(roles.body.message).toBe(
      'clusterroles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    );
    // Lists of namespaces are filtered, not refused: she sees none.
    const namespaces = await bearer(token).get('/api/v1/namespaces');
    expect(namespaces.status).toBe(200);
    expect(namespaces.body.items).toEqual([]);
    expect((await bearer(token).get('/auth/users')).status).toBe(403);
  });

  it('rate-limits failed logins per user and address, then answers 429 with Retry-After', async () => {
    await t
      .api()
      .post('/auth/users')
      .send({ username: 'mallory-target', password: 'target-pass-1' });
    for (let i = 0; i < MAX_FAILURES; i++)
      expect((await login('mallory-target', `guess-${i}-xx`)).status).toBe(401);
    const blocked = await login('mallory-target', 'target-pass-1'); // even the right password
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect(blocked.body.message).toMatch(/too many failed logins for "mallory-target"/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Another user from the same address is not locked out by this.
    expect((await login('alice', 'alice-pass-1')).status).toBe(200);
  });

  it('creates API tokens shown once, lists them without secrets, and revocation bites on the next request', async () => {
    const session = (await login('alice', 'alice-pass-1')).body.token;
    const created = await bearer(session).post('/auth/tokens').send({ name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^bt_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'ci', kind: 'token', state: 'Active' });
    // Default lifetime: 90 days.
    const ttl = Date.parse(created.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(89 * 86_400_000);
    expect(ttl).toBeLessThanOrEqual(90 * 86_400_000);

    const token = created.body.token as string;
    expect((await bearer(token).get('/auth/whoami')).body).toMatchObject({
      username: 'alice',
      authenticatedBy: 'token',
    });
    const listed = await bearer(session).get('/auth/tokens');
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(3));

    const revoked = await bearer(session).delete(`/auth/tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('Revoked');
    const after = await bearer(token).get('/auth/whoami');
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('Unauthorized: the token has been revoked');
  });

  it('rejects an expired token, and validates token requests', async () => {
    const session = (await login('alice', 'alice-pass-1')).body.token;
    const created = await bearer(session)
      .post('/auth/tokens')
      .send({ name: 'short', expiresInSeconds: 60 });
    expect(created.status).toBe(201);
    // Move its expiry into the past in the store (the clock cannot be waited out here).
    await sql(`UPDATE credentials SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      created.body.id,
    ]);
    const res = await bearer(created.body.token).get('/auth/whoami');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/^Unauthorized: the token expired at .*; create a new one$/);

    const noName = await bearer(session).post('/auth/tokens').send({});
    expect(noName.status).toBe(400);
    const badRole = await bearer(session)
      .post('/auth/tokens')
      .send({ name: 'x', tenant: 'team-a', role: 'owner' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.message).toBe(
      'role must be one of tenant-admin, developer, viewer; got "owner"',
    );
    const badTtl = await bearer(session)
      .post('/auth/tokens')
      .send({ name: 'x', expiresInSeconds: 5 });
    expect(badTtl.status).toBe(400);
  });

  it('ends earlier sessions when the password changes, and disabled users are refused', async () => {
    const before = (await login('alice', 'alice-pass-1')).body.token;
    const wrongCurrent = await bearer(before)
      .post('/auth/password')
      .send({ currentPassword: 'nope-nope', newPassword: 'alice-pass-2' });
    expect(wrongCurrent.status).toBe(403);
    const changed = await bearer(before)
      .post('/auth/password')
      .send({ currentPassword: 'alice-pass-1', newPassword: 'alice-pass-2' });
    expect(changed.status).toBe(200);
    const old = await bearer(before).get('/auth/whoami');
    expect(old.status).toBe(401);
    expect(old.body.message).toBe('Unauthorized: the password was changed; log in again');
    expect((await login('alice', 'alice-pass-1')).status).toBe(401);
    const fresh = (await login('alice', 'alice-pass-2')).body.token;
    expect((await bearer(fresh).get('/auth/whoami')).status).toBe(200);

    const apiToken = (await bearer(fresh).post('/auth/tokens').send({ name: 'cli' })).body.token;
    expect((await t.api().patch('/auth/users/alice').send({ disabled: true })).body.disabled).toBe(
      true,
    );
    for (const token of [fresh, apiToken]) {
      const res = await bearer(token).get('/auth/whoami');
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Unauthorized: user "alice" is disabled');
    }
    expect((await login('alice', 'alice-pass-2')).status).toBe(401);
    await t.api().patch('/auth/users/alice').send({ disabled: false });
  });

  it('registers a node with a bootstrap token and binds the credential to that node', async () => {
    const boot = await t.api().post('/auth/bootstrap-tokens').send({ name: 'agents' });
    expect(boot.status).toBe(201);
    expect(boot.body.token).toMatch(/^bb_/);
    // A bootstrap token can register a node and nothing else.
    expect((await bearer(boot.body.token).get('/api/v1/nodes')).status).toBe(403);
    const bad = await bearer(boot.body.token)
      .post('/auth/nodes/register')
      .send({ nodeName: 'Bad_Name' });
    expect(bad.status).toBe(400);

    const first = await bearer(boot.body.token)
      .post('/auth/nodes/register')
      .send({ nodeName: 'n1' });
    expect(first.status).toBe(201);
    expect(first.body.token).toMatch(/^bn_/);
    const who = await bearer(first.body.token).get('/auth/whoami');
    expect(who.body).toMatchObject({
      username: 'system:node:n1',
      groups: ['system:nodes', 'system:authenticated'],
      nodeName: 'n1',
      kind: 'node',
    });
    // A bootstrap token cannot take over a registered node: no second credential for n1.
    const taken = await bearer(boot.body.token)
      .post('/auth/nodes/register')
      .send({ nodeName: 'n1' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      details: { name: 'n1', kind: 'nodes' },
    });
    expect(taken.body.message).toContain(
      'node "n1" is already registered: it holds a live credential',
    );
    expect(taken.body.message).toContain('DELETE /auth/nodes/n1/credentials');
    expect(taken.body.token).toBeUndefined();
    expect((await bearer(first.body.token).get('/auth/whoami')).status).toBe(200);
    // Racing registrations of a new name: exactly one gets a credential.
    const race = await Promise.all(
      [1, 2, 3, 4].map(() =>
        bearer(boot.body.token).post('/auth/nodes/register').send({ nodeName: 'n-race' }),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);

    // Only a cluster admin revokes a node's credentials; then the name registers again.
    const aliceSession = (await login('alice', 'alice-pass-2')).body.token;
    expect((await bearer(aliceSession).delete('/auth/nodes/n1/credentials')).status).toBe(403);
    expect((await t.api().delete('/auth/nodes/never-was/credentials')).status).toBe(404);
    const listed = await t.api().get('/auth/nodes/n1/credentials').expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: first.body.credential.id, state: 'Active' }),
    ]);
    const revoked = await t.api().delete('/auth/nodes/n1/credentials').expect(200);
    expect(revoked.body).toMatchObject({ nodeName: 'n1', revoked: 1 });
    expect(revoked.body.items).toEqual([
      expect.objectContaining({ id: first.body.credential.id, state: 'Revoked' }),
    ]);
    expect((await bearer(first.body.token).get('/auth/whoami')).status).toBe(401);
    const second = await bearer(boot.body.token)
      .post('/auth/nodes/register')
      .send({ nodeName: 'n1' });
    expect(second.status).toBe(201);
    expect((await bearer(second.body.token).get('/auth/whoami')).status).toBe(200);

    // The trail has the refusal, the revocation and the new registration, each naming n1.
    const expected = [
      'create /auth/nodes/register 201',
      'create /auth/nodes/register 409',
      'delete /auth/nodes/n1/credentials 200',
      'create /auth/nodes/register 201',
    ];
    let about: string[] = [];
    await eventuallyTrue(async () => {
      const events = (await t.api().get('/audit/events?limit=1000')).body.items as Array<{
        path?: string;
        name?: string;
        code: number;
        verb: string;
      }>;
      about = events
        .filter((e) => e.name === 'n1' && e.path?.startsWith('/auth/nodes/'))
        .map((e) => `${e.verb} ${e.path} ${e.code}`)
        .reverse();
      return about.length >= expected.length;
    }, 'the registrations and the revocation of n1 in the audit trail');
    expect(about).toEqual(expected);

    // A user cannot register nodes; a node cannot mint more node credentials.
    const session = (await login('alice', 'alice-pass-2')).body.token;
    expect(
      (await bearer(session).post('/auth/nodes/register').send({ nodeName: 'n2' })).status,
    ).toBe(403);
    expect(
      (await bearer(second.body.token).post('/auth/nodes/register').send({ nodeName: 'n2' }))
        .status,
    ).toBe(403);

    // Revoked bootstrap tokens stop at once.
    await t.api().delete(`/auth/bootstrap-tokens/${boot.body.id}`);
    expect(
      (await bearer(boot.body.token).post('/auth/nodes/register').send({ nodeName: 'n3' })).status,
    ).toBe(401);
  });

  it('still accepts the static admin token (break-glass) as a cluster admin', async () => {
    const who = await t.api().get('/auth/whoami');
    expect(who.body).toMatchObject({
      username: 'system:admin',
      groups: ['system:masters', 'system:authenticated'],
      clusterAdmin: true,
      authenticatedBy: 'static',
    });
  });
});
