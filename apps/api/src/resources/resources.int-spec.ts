import { type TestApiServer } from '../testing/test-api-server';
import {
  deployment,
  expectStatus,
  ns,
  pod,
  startResourcesTestServer,
} from '../testing/resource-fixtures';

describe('Kubernetes-shaped REST API (real PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startResourcesTestServer();
  });

  afterAll(async () => {
    await t.close();
  });

  describe('create and read', () => {
    it('creates a namespace with uid, resourceVersion, timestamps and Active phase', async () => {
      const res = await t.api().post('/api/v1/namespaces').send(ns('team-one')).expect(201);
      expect(res.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(res.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(res.body.status.phase).toBe('Active');
      const got = await t.api().get('/api/v1/namespaces/team-one').expect(200);
      expect(got.body.metadata.uid).toBe(res.body.metadata.uid);
    });

    it('creates a deployment with Kubernetes defaults and generation 1', async () => {
      const res = await t
        .api()
        .post('/apis/apps/v1/namespaces/apps/deployments')
        .send(deployment('web'))
        .expect(201);
      expect(res.body.metadata.generation).toBe(1);
      expect(res.body.metadata.namespace).toBe('apps');
      expect(res.body.spec.strategy.type).toBe('RollingUpdate');
      expect(res.body.spec.revisionHistoryLimit).toBe(10);
      expect(res.body.spec.template.spec.restartPolicy).toBe('Always');
    });

    it('answers 409 AlreadyExists for a duplicate', async () => {
      const res = await t
        .api()
        .post('/apis/apps/v1/namespaces/apps/deployments')
        .send(deployment('web'));
      expectStatus(res, 409, 'AlreadyExists');
      expect(res.body.message).toBe('deployments.apps "web" already exists');
    });

    it('answers 404 NotFound with the Kubernetes message', async () => {
      const res = await t.api().get('/api/v1/namespaces/apps/pods/nope');
      expectStatus(res, 404, 'NotFound');
      expect(res.body.message).toBe('pods "nope" not found');
      expect(res.body.details).toMatchObject({ name: 'nope', kind: 'pods' });
    });

    it('refuses content in a namespace that does not exist', async () => {
      const res = await t.api().post('/api/v1/namespaces/ghost/pods').send(pod('p'));
      expectStatus(res, 404, 'NotFound');
      expect(res.body.message).toBe('namespaces "ghost" not found');
    });

    it('fills generateName', async () => {
      const res = await t
        .api()
        .post('/api/v1/namespaces/apps/pods')
        .send({ ...pod(''), metadata: { generateName: 'job-' } })
        .expect(201);
      expect(res.body.metadata.name).toMatch(/^job-[a-z0-9]{5}$/);
    });

    it('resets status on create (status is written through /status only)', async () => {
      const res = await t
        .api()
        .post('/api/v1/namespaces/apps/pods')
        .send({ ...pod('status-reset'), status: { phase: 'Running' } })
        .expect(201);
      expect(res.body.status.phase).toBe('Pending');
    });
  });

  describe('update, patch and concurrency', () => {
    it('PUT with a stale resourceVersion is a 409 Conflict and changes nothing', async () => {
      const cur = (await t.api().get('/apis/apps/v1/namespaces/apps/deployments/web').expect(200))
        .body;
      const next = { ...cur, spec: { ...cur.spec, replicas: 5 } };
      const ok = await t
        .api()
        .put('/apis/apps/v1/namespaces/apps/deployments/web')
        .send(next)
        .expect(200);
      expect(ok.body.metadata.generation).toBe(cur.metadata.generation + 1);
      const stale = { ...cur, spec: { ...cur.spec, replicas: 9 } };
      const res = await t.api().put('/apis/apps/v1/namespaces/apps/deployments/web').send(stale);
      expectStatus(res, 409, 'Conflict');
      const after = (await t.api().get('/apis/apps/v1/namespaces/apps/deployments/web').expect(200))
        .body;
      expect(after.spec.replicas).toBe(5);
    });

    it('concurrent PUTs with the same resourceVersion: exactly one wins', async () => {
      const cur = (await t.api().get('/apis/apps/v1/namespaces/apps/deployments/web').expect(200))
        .body;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t
            .api()
            .put('/apis/apps/v1/namespaces/apps/deployments/web')
            .send({
              ...cur,
              metadata: { ...cur.metadata, labels: { app: 'web', writer: String(i) } },
            }),
        ),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    });

    it('merge patch, JSON patch and strategic merge patch', async () => {
      const merge = await t
        .api()
        .patch('/apis/apps/v1/namespaces/apps/deployments/web')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ metadata: { labels: { tier: 'front' } } })
        .expect(200);
      expect(merge.body.metadata.labels).toMatchObject({ app: 'web', tier: 'front' });

      const json = await t
        .api()
        .patch('/apis/apps/v1/namespaces/apps/deployments/web')
        .set('Content-Type', 'application/json-patch+json')
        .send([{ op: 'remove', path: '/metadata/labels/tier' }])
        .expect(200);
      expect(json.body.metadata.labels.tier).toBeUndefined();

      const smp = await t
        .api()
        .patch('/apis/apps/v1/namespaces/apps/deployments/web')
        .set('Content-Type', 'application/strategic-merge-patch+json')
        .send({
          spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } },
        })
        .expect(200);
      const containers = smp.body.spec.template.spec.containers;
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatchObject({
        name: 'web',
        image: 'nginx:1.26',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      });
    });

    it('keeps spec and status apart', async () => {
      await t.api().post('/api/v1/namespaces/apps/pods').send(pod('split')).expect(201);
      const status = await t
        .api()
        .patch('/api/v1/namespaces/apps/pods/split/status')
        .set('Content-Type', 'application/merge-patch+json')
        .send({
          status: { phase: 'Running' },
          spec: { containers: [{ name: 'evil', image: 'x' }] },
        })
        .expect(200);
      expect(status.body.status.phase).toBe('Running');
      expect(status.body.spec.containers[0].name).toBe('main');
      const main = await t
        .api()
        .patch('/api/v1/namespaces/apps/pods/split')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ metadata: { labels: { x: 'y' } }, status: { phase: 'Failed' } })
        .expect(200);
      expect(main.body.status.phase).toBe('Running');
      expect(main.body.metadata.labels.x).toBe('y');
    });

    it('serves the scale subresource', async () => {
      const scale = await t
        .api()
        .get('/apis/apps/v1/namespaces/apps/deployments/web/scale')
        .expect(200);
      expect(scale.body).toMatchObject({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        spec: { replicas: 5 },
        status: { selector: 'app=web' },
      });
      const patched = await t
        .api()
        .patch('/apis/apps/v1/namespaces/apps/deployments/web/scale')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas: 3 } })
        .expect(200);
      expect(patched.body.spec.replicas).toBe(3);
      const dep = await t.api().get('/apis/apps/v1/namespaces/apps/deployments/web').expect(200);
      expect(dep.body.spec.replicas).toBe(3);
      const bad = await t
        .api()
        .put('/apis/apps/v1/namespaces/apps/deployments/web/scale')
        .send({ spec: { replicas: -2 } });
      expectStatus(bad, 422, 'Invalid');
    });
  });

  describe('resourceVersion, continue, selectors and path segments are checked as Kubernetes does', () => {
    const pods = '/api/v1/namespaces/apps/pods';
    let current: bigint;

    beforeAll(async () => {
      await t
        .api()
        .post(pods)
        .send(pod('rv-target', { tier: 'x' }))
        .expect(201);
      current = BigInt((await t.api().get(pods).expect(200)).body.metadata.resourceVersion);
    });

    it('refuses an unparsable resourceVersion on get, list and watch (400)', async () => {
      for (const url of [
        `${pods}/rv-target?resourceVersion=garbage`,
        `${pods}?resourceVersion=garbage`,
        `${pods}?resourceVersion=-1`,
        `${pods}?watch=true&resourceVersion=garbage`,
      ]) {
        const res = await t.api().get(url);
        expectStatus(res, 400, 'BadRequest');
        expect(res.body.message).toContain('invalid resource version');
      }
    });

    it('validates resourceVersionMatch as ValidateListOptions (422 on ListOptions)', async () => {
      const cases: Array<[string, string]> = [
        ['resourceVersionMatch=Bogus&resourceVersion=1', 'Unsupported value: "Bogus"'],
        ['resourceVersionMatch=Exact', 'forbidden unless resourceVersion is provided'],
        ['resourceVersionMatch=Exact&resourceVersion=0', 'forbidden for resourceVersion "0"'],
        ['watch=true&resourceVersionMatch=NotOlderThan', 'forbidden for watch'],
        ['sendInitialEvents=true', 'sendInitialEvents is forbidden for list'],
      ];
      for (const [query, message] of cases) {
        const res = await t.api().get(`${pods}?${query}`);
        expectStatus(res, 422, 'Invalid');
        expect(res.body.message).toContain(message);
        expect(res.body.details).toMatchObject({ kind: 'ListOptions', group: 'meta.k8s.io' });
      }
    });

    it('a revision from the future is 400 Too large resource version (never a 5xx: the store has no lagging cache)', async () => {
      const future = (current + 1000n).toString();
      for (const url of [
        `${pods}?resourceVersion=${future}&resourceVersionMatch=Exact`,
        `${pods}?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`,
        `${pods}?resourceVersion=${future}`,
        `${pods}/rv-target?resourceVersion=${future}`,
      ]) {
        const res = await t.api().get(url);
        expectStatus(res, 400, 'BadRequest');
        expect(res.body.message).toContain(`Too large resource version: ${future}, current: `);
        expect(res.body.details).toMatchObject({
          causes: [
            {
              reason: 'ResourceVersionTooLarge',
              message: 'Too large resource version',
              field: 'resourceVersion',
            },
          ],
        });
      }
    });

    it('serves what it has: NotOlderThan a past revision, Exact the current one; an older Exact is 410', async () => {
      const now = (await t.api().get(pods).expect(200)).body.metadata.resourceVersion;
      await t.api().get(`${pods}?resourceVersion=1`).expect(200);
      await t.api().get(`${pods}?resourceVersion=0`).expect(200);
      await t.api().get(`${pods}/rv-target?resourceVersion=1`).expect(200);
      await t.api().get(`${pods}?resourceVersion=1&resourceVersionMatch=NotOlderThan`).expect(200);
      const exact = await t.api().get(`${pods}?resourceVersion=${now}&resourceVersionMatch=Exact`);
      expect(exact.status).toBe(200);
      expect(exact.body.metadata.resourceVersion).toBe(now);
      const old = await t.api().get(`${pods}?resourceVersion=1&resourceVersionMatch=Exact`);
      expectStatus(old, 410, 'Expired');
    });

    it('refuses a forged continue token, and a resourceVersion beside continue (400)', async () => {
      const forged = Buffer.from(
        JSON.stringify({ v: 1, rv: 'abc', ns: 'apps', name: 'a' }),
      ).toString('base64url');
      const res = await t.api().get(`${pods}?limit=1&continue=${forged}`);
      expectStatus(res, 400, 'BadRequest');
      expect(res.body.message).toContain('continue key is not valid');
      const page = await t.api().get(`${pods}?limit=1`).expect(200);
      expect(page.body.metadata.continue).toBeDefined();
      const both = await t
        .api()
        .get(`${pods}?limit=1&resourceVersion=5&continue=${page.body.metadata.continue}`);
      expectStatus(both, 400, 'BadRequest');
      expect(both.body.message).toBe(
        'specifying resource version is not allowed when using continue',
      );
    });

    it('"a notin ()" and "a in ()" are refused (400), in lists and deletecollection alike', async () => {
      // Kubernetes reads "()" as {""}: "tier notin ()" would match every pod without the
      // label, and a deletecollection with it would delete them. Berth refuses the empty set.
      for (const selector of ['tier notin ()', 'tier in ()']) {
        const q = `labelSelector=${encodeURIComponent(selector)}`;
        const res = await t.api().get(`${pods}?${q}`);
        expectStatus(res, 400, 'BadRequest');
        expect(res.body.message).toContain('must name at least one value');
        expectStatus(await t.api().delete(`${pods}?${q}`), 400, 'BadRequest');
      }
      await t.api().get(`${pods}/rv-target`).expect(200);
    });

    it('refuses "." and ".." (however encoded) as a namespace or a name (400)', async () => {
      for (const url of [
        '/api/v1/namespaces/%2e%2e/pods',
        '/api/v1/namespaces/%2E%2E/pods/x',
        '/api/v1/namespaces/%2e/pods',
        '/api/v1/namespaces/apps/pods/%2e%2e',
        '/api/v1/namespaces/apps/pods/a%2Fb',
        '/api/v1/namespaces/%2e%2e',
      ]) {
        const res = await t.api().get(url);
        expectStatus(res, 400, 'BadRequest');
        expect(res.body.message).toMatch(/parameter invalid: ".*": may not (be|contain)/);
      }
      const write = await t.api().post('/api/v1/namespaces/%2e%2e/pods').send(pod('dots'));
      expectStatus(write, 400, 'BadRequest');
    });

    it('a watch with a negative timeoutSeconds ends at once, as in Kubernetes', async () => {
      const res = await t
        .api()
        .get(`${pods}?watch=true&timeoutSeconds=-1`)
        .buffer(true)
        .parse((stream, done) => {
          let text = '';
          stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
          stream.on('end', () => done(null, text));
        })
        .timeout(10_000);
      expect(res.status).toBe(200);
      const lines = String(res.body).trim().split('\n');
      expect(lines.some((l) => l.includes('rv-target'))).toBe(true);
    });
  });
});
