import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

function deployment(name: string, image = 'nginx:1.25', replicas = 2) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 80 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

function pod(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

/** Every error must be a Kubernetes Status with the given code. */
function expectStatus(
  res: { status: number; body: Record<string, unknown> },
  code: number,
  reason?: string,
) {
  expect(res.status).toBe(code);
  expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  if (reason) expect(res.body.reason).toBe(reason);
  expect(typeof res.body.message).toBe('string');
}

describe('Kubernetes-shaped REST API (real PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startTestApiServer();
    await t.api().post('/api/v1/namespaces').send(ns('apps')).expect(201);
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

  describe('validation', () => {
    it('rejects an invalid name with 422 and the field', async () => {
      const res = await t.api().post('/api/v1/namespaces/apps/pods').send(pod('Bad_Name'));
      expectStatus(res, 422, 'Invalid');
      expect(res.body.details.causes).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'metadata.name' })]),
      );
    });

    it('rejects a wrong type with 422 naming the field', async () => {
      const bad = deployment('typed');
      (bad.spec as Record<string, unknown>).replicas = 'three';
      const res = await t.api().post('/apis/apps/v1/namespaces/apps/deployments').send(bad);
      expectStatus(res, 422, 'Invalid');
      expect(res.body.details.causes.map((c: { field: string }) => c.field)).toContain(
        'spec.replicas',
      );
    });

    it('refuses integers beyond int32 as kube-apiserver does (400, the field named) and writes nothing', async () => {
      const path = '/apis/apps/v1/namespaces/apps/deployments';
      for (const replicas of [10000000000, 2147483648]) {
        const bad = deployment('huge', 'nginx:1.25', replicas);
        const res = await t.api().post(path).send(bad);
        expectStatus(res, 400, 'BadRequest');
        expect(res.body.message).toBe(
          `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number ${replicas} into Go struct field spec.replicas of type int32 (-2147483648 to 2147483647)`,
        );
        expect(res.body.details.causes).toEqual([
          expect.objectContaining({ field: 'spec.replicas', reason: 'FieldValueTypeInvalid' }),
        ]);
        await t.api().get(`${path}/huge`).expect(404);
      }
      await t
        .api()
        .post(path)
        .send(deployment('fits', 'nginx:1.25', 1))
        .expect(201);
      const patched = await t
        .api()
        .patch(`${path}/fits`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas: 2147483648 } });
      expectStatus(patched, 400, 'BadRequest');
      const scaled = await t
        .api()
        .put(`${path}/fits/scale`)
        .send({
          kind: 'Scale',
          apiVersion: 'autoscaling/v1',
          metadata: { name: 'fits' },
          spec: { replicas: 2147483648 },
        });
      expectStatus(scaled, 400, 'BadRequest');
      expect(scaled.body.message).toContain('spec.replicas of type int32');
      const svc = await t
        .api()
        .post('/api/v1/namespaces/apps/services')
        .send({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'bigport' },
          spec: { ports: [{ port: 80, targetPort: 30000000000 }] },
        });
      expectStatus(svc, 400, 'BadRequest');
      expect(svc.body.message).toContain('spec.ports[0].targetPort of type int32');
      const got = await t.api().get(`${path}/fits`).expect(200);
      expect(got.body.spec.replicas).toBe(1);
      await t.api().get('/api/v1/namespaces/apps/services/bigport').expect(404);
    });

    it('rejects a malformed quantity', async () => {
      const bad = deployment('qty');
      bad.spec.template.spec.containers[0].resources.requests.cpu = '1.2.3';
      const res = await t.api().post('/apis/apps/v1/namespaces/apps/deployments').send(bad);
      expectStatus(res, 422, 'Invalid');
      expect(JSON.stringify(res.body.details.causes)).toContain('resources.requests');
    });

    it('rejects unknown fields with fieldValidation=Strict and drops them otherwise', async () => {
      const body = { ...pod('strict'), spec: { ...pod('strict').spec, bogus: true } };
      const strict = await t
        .api()
        .post('/api/v1/namespaces/apps/pods?fieldValidation=Strict')
        .send(body);
      expectStatus(strict, 400, 'BadRequest');
      expect(strict.body.message).toContain('unknown field "spec.bogus"');
      const warn = await t.api().post('/api/v1/namespaces/apps/pods').send(body).expect(201);
      expect(warn.body.spec.bogus).toBeUndefined();
      expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""');
    });

    it('refuses duplicate fields with fieldValidation=Strict and warns of them otherwise', async () => {
      // JSON.stringify cannot repeat a key: write the text by hand.
      const text = (name: string) =>
        `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"${name}","labels":{"app":"a","app":"b"},"name":"${name}"},` +
        `"spec":{"containers":[{"name":"main","image":"busybox:1.36","image":"busybox:1.37"}]}}`;
      const post = (query: string, name: string) =>
        t
          .api()
          .post(`/api/v1/namespaces/apps/pods${query}`)
          .set('Content-Type', 'application/json')
          .send(text(name));
      const before = await t.api().get('/api/v1/namespaces/apps/pods').expect(200);

      const strict = await post('?fieldValidation=Strict', 'dup-strict');
      expectStatus(strict, 400, 'BadRequest');
      expect(strict.body.message).toBe(
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: ' +
          'duplicate field "metadata.labels.app", duplicate field "metadata.name", ' +
          'duplicate field "spec.containers[0].image"',
      );
      const after = await t.api().get('/api/v1/namespaces/apps/pods').expect(200);
      expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
      await t.api().get('/api/v1/namespaces/apps/pods/dup-strict').expect(404);

      const warn = await post('', 'dup-warn').expect(201);
      expect(warn.headers.warning).toBe(
        [
          '299 - "duplicate field \\"metadata.labels.app\\""',
          '299 - "duplicate field \\"metadata.name\\""',
          '299 - "duplicate field \\"spec.containers[0].image\\""',
        ].join(', '),
      );
      // As JSON.parse (and Go's decoder): the last value wins.
      expect(warn.body.metadata.labels).toEqual({ app: 'b' });
      expect(warn.body.spec.containers[0].image).toBe('busybox:1.37');

      const ignore = await post('?fieldValidation=Ignore', 'dup-ignore').expect(201);
      expect(ignore.headers.warning).toBeUndefined();
    });

    it('treats keys repeated in a YAML body as in a JSON one', async () => {
      const yaml = (name: string) =>
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata:',
          `  name: ${name}`,
          '  labels:',
          '    app: a',
          '    app: b',
          'spec:',
          '  containers:',
          '  - name: main',
          '    image: busybox:1.36',
          '    name: main',
          '',
        ].join('\n');
      const post = (query: string, name: string) =>
        t
          .api()
          .post(`/api/v1/namespaces/apps/pods${query}`)
          .set('Content-Type', 'application/yaml')
          .send(yaml(name));
      const strict = await post('?fieldValidation=Strict', 'yaml-dup-strict');
      expectStatus(strict, 400, 'BadRequest');
      expect(strict.body.message).toBe(
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: ' +
          'duplicate field "metadata.labels.app", duplicate field "spec.containers[0].name"',
      );
      await t.api().get('/api/v1/namespaces/apps/pods/yaml-dup-strict').expect(404);
      const warn = await post('', 'yaml-dup-warn').expect(201);
      expect(warn.headers.warning).toBe(
        '299 - "duplicate field \\"metadata.labels.app\\"", ' +
          '299 - "duplicate field \\"spec.containers[0].name\\""',
      );
      expect(warn.body.metadata.labels).toEqual({ app: 'b' });
    });

    it('refuses a merge patch that repeats a key with fieldValidation=Strict', async () => {
      await t.api().post('/api/v1/namespaces/apps/pods').send(pod('dup-patch')).expect(201);
      const before = await t.api().get('/api/v1/namespaces/apps/pods/dup-patch').expect(200);
      const patch = (query: string, type: string) =>
        t
          .api()
          .patch(`/api/v1/namespaces/apps/pods/dup-patch${query}`)
          .set('Content-Type', type)
          .send('{"metadata":{"labels":{"x":"1","x":"2"}}}');
      for (const type of [
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
      ]) {
        const strict = await patch('?fieldValidation=Strict', type);
        expectStatus(strict, 400, 'BadRequest');
        expect(strict.body.message).toContain(
          'strict decoding error: duplicate field "metadata.labels.x"',
        );
      }
      const after = await t.api().get('/api/v1/namespaces/apps/pods/dup-patch').expect(200);
      expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
      const warn = await patch('', 'application/merge-patch+json').expect(200);
      expect(warn.headers.warning).toBe('299 - "duplicate field \\"metadata.labels.x\\""');
      expect(warn.body.metadata.labels).toEqual({ x: '2' });
      const json = await t
        .api()
        .patch('/api/v1/namespaces/apps/pods/dup-patch?fieldValidation=Strict')
        .set('Content-Type', 'application/json-patch+json')
        .send('[{"op":"add","op":"add","path":"/metadata/labels/y","value":"1"}]');
      expectStatus(json, 400, 'BadRequest');
      expect(json.body.message).toContain(
        'strict decoding error: json patch duplicate field "[0].op"',
      );
    });

    it('answers 400 for malformed JSON and writes nothing', async () => {
      const before = await t.api().get('/api/v1/namespaces/apps/pods').expect(200);
      const res = await t
        .api()
        .post('/api/v1/namespaces/apps/pods')
        .set('Content-Type', 'application/json')
        .send('{"metadata": {"name": "x"');
      expectStatus(res, 400, 'BadRequest');
      const after = await t.api().get('/api/v1/namespaces/apps/pods').expect(200);
      expect(after.body.items.length).toBe(before.body.items.length);
    });

    it('answers 413 for bodies over the limit', async () => {
      const huge = {
        ...pod('huge'),
        metadata: { name: 'huge', annotations: { big: 'x'.repeat(4 * 1024 * 1024) } },
      };
      const res = await t.api().post('/api/v1/namespaces/apps/pods').send(huge);
      expectStatus(res, 413, 'RequestEntityTooLarge');
      await t.api().get('/api/v1/namespaces/apps/pods/huge').expect(404);
    });

    it('answers 415 for an unknown patch type', async () => {
      const res = await t
        .api()
        .patch('/apis/apps/v1/namespaces/apps/deployments/web')
        .set('Content-Type', 'text/plain')
        .send('hello');
      expectStatus(res, 415, 'UnsupportedMediaType');
    });

    it('answers 401 without a token', async () => {
      const res = await t.anonymous().get('/api/v1/namespaces');
      expectStatus(res, 401, 'Unauthorized');
    });

    it('never answers 500 to odd input', async () => {
      const odd: Array<[string, string, unknown, string?]> = [
        ['post', '/api/v1/namespaces/apps/pods', 'null'],
        ['post', '/api/v1/namespaces/apps/pods', '[]'],
        ['post', '/api/v1/namespaces/apps/pods', '"string"'],
        ['post', '/api/v1/namespaces/apps/pods', '12'],
        ['post', '/api/v1/namespaces/apps/pods', JSON.stringify({ metadata: 'x' })],
        [
          'post',
          '/api/v1/namespaces/apps/pods',
          JSON.stringify({ metadata: { name: '💥' }, spec: { containers: [{}] } }),
        ],
        [
          'post',
          '/api/v1/namespaces/apps/pods',
          JSON.stringify({ kind: 'Service', apiVersion: 'v1', metadata: { name: 'x' } }),
        ],
        [
          'post',
          '/api/v1/namespaces/apps/pods',
          JSON.stringify({ metadata: { name: 'a'.repeat(5000) }, spec: { containers: null } }),
        ],
        ['put', '/api/v1/namespaces/apps/pods/x', JSON.stringify({ metadata: { name: 'y' } })],
        [
          'put',
          '/apis/apps/v1/namespaces/apps/deployments/web',
          JSON.stringify({ metadata: { name: 'web', resourceVersion: 'abc' } }),
        ],
        [
          'patch',
          '/apis/apps/v1/namespaces/apps/deployments/web',
          '[{"op":"explode"}]',
          'application/json-patch+json',
        ],
        [
          'patch',
          '/apis/apps/v1/namespaces/apps/deployments/web',
          '{"spec":{"replicas":"many"}}',
          'application/merge-patch+json',
        ],
        [
          'patch',
          '/apis/apps/v1/namespaces/apps/deployments/web',
          '{"spec":',
          'application/merge-patch+json',
        ],
        [
          'patch',
          '/apis/apps/v1/namespaces/apps/deployments/web/scale',
          '{"spec":{"replicas":-1}}',
          'application/merge-patch+json',
        ],
        ['get', '/api/v1/namespaces/apps/pods?labelSelector=a%20in%20(', undefined],
        ['get', '/api/v1/namespaces/apps/pods?labelSelector=%%%', undefined],
        ['get', '/api/v1/namespaces/apps/pods?fieldSelector=spec.bogus=1', undefined],
        ['get', '/api/v1/namespaces/apps/pods?limit=-5', undefined],
        ['get', '/api/v1/namespaces/apps/pods?limit=abc', undefined],
        ['get', '/api/v1/namespaces/apps/pods?continue=garbage', undefined],
        ['get', '/api/v1/namespaces/apps/pods?watch=true&resourceVersion=abc', undefined],
        ['get', '/api/v1/namespaces/apps/widgets', undefined],
        ['get', '/apis/nope/v1/things', undefined],
        ['delete', '/api/v1/namespaces/apps/pods/x', '[1,2]'],
        ['get', '/api/v1/namespaces/%E0%A4%A/pods', undefined],
      ];
      for (const [method, url, body, type] of odd) {
        let req = t.api()[method as 'post'](url);
        if (body !== undefined)
          req = req.set('Content-Type', type ?? 'application/json').send(body as string);
        const res = await req;
        expect({ url, method, status: res.status < 500 }).toEqual({ url, method, status: true });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.body.kind).toBe('Status');
      }
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

  describe('delete', () => {
    it('deletes, then answers 404', async () => {
      await t.api().post('/api/v1/namespaces/apps/pods').send(pod('doomed')).expect(201);
      const res = await t
        .api()
        .delete('/api/v1/namespaces/apps/pods/doomed')
        .send({ propagationPolicy: 'Background' })
        .expect(200);
      expect(res.body.metadata.name).toBe('doomed');
      await t.api().get('/api/v1/namespaces/apps/pods/doomed').expect(404);
    });

    it('honours finalizers: deletionTimestamp first, gone when the last finalizer is removed', async () => {
      await t
        .api()
        .post('/api/v1/namespaces/apps/pods')
        .send({ ...pod('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } })
        .expect(201);
      const marked = await t.api().delete('/api/v1/namespaces/apps/pods/held').expect(200);
      expect(marked.body.metadata.deletionTimestamp).toBeDefined();
      const still = await t.api().get('/api/v1/namespaces/apps/pods/held').expect(200);
      expect(still.body.metadata.deletionTimestamp).toBe(marked.body.metadata.deletionTimestamp);
      await t
        .api()
        .patch('/api/v1/namespaces/apps/pods/held')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ metadata: { finalizers: null } })
        .expect(200);
      await t.api().get('/api/v1/namespaces/apps/pods/held').expect(404);
    });

    it('checks delete preconditions', async () => {
      await t.api().post('/api/v1/namespaces/apps/pods').send(pod('precond')).expect(201);
      const res = await t
        .api()
        .delete('/api/v1/namespaces/apps/pods/precond')
        .send({ preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
      expectStatus(res, 409, 'Conflict');
      await t.api().get('/api/v1/namespaces/apps/pods/precond').expect(200);
    });

    describe('DeleteOptions (body, else query parameters)', () => {
      const svc = (name: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      });
      const get = (path: string) => t.api().get(path);

      it('a dry run in the body deletes nothing, for every kind and for deletecollection', async () => {
        await t.api().post('/api/v1/namespaces').send(ns('dry-ns')).expect(201);
        await t.api().post('/api/v1/namespaces/apps/services').send(svc('dry-svc')).expect(201);
        await t
          .api()
          .post('/apis/apps/v1/namespaces/apps/deployments')
          .send(deployment('dry-deploy'))
          .expect(201);
        await t
          .api()
          .post('/api/v1/namespaces/apps/pods')
          .send({ ...pod('dry-held'), metadata: { name: 'dry-held', finalizers: ['x.io/hold'] } })
          .expect(201);
        const targets = [
          '/api/v1/namespaces/apps/services/dry-svc',
          '/apis/apps/v1/namespaces/apps/deployments/dry-deploy',
          '/api/v1/namespaces/apps/pods/dry-held',
          '/api/v1/namespaces/dry-ns',
        ];
        const before = await Promise.all(targets.map((p) => get(p).expect(200)));
        for (const path of targets) {
          // What kubectl delete --dry-run=server sends.
          const res = await t
            .api()
            .delete(path)
            .send({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] });
          expect(res.status).toBe(200);
          await t.api().delete(`${path}?dryRun=All`).expect(200);
          await t
            .api()
            .delete(`${path}?dryRun=All`)
            .send({ propagationPolicy: 'Orphan' })
            .expect(200);
        }
        await t
          .api()
          .delete('/api/v1/namespaces/apps/services')
          .send({ dryRun: ['All'] })
          .expect(200);
        await t.api().delete('/api/v1/namespaces/apps/pods?dryRun=All').expect(200);
        for (const [i, path] of targets.entries()) {
          const after = await get(path).expect(200);
          expect(after.body.metadata.resourceVersion).toBe(before[i].body.metadata.resourceVersion);
          expect(after.body.metadata.deletionTimestamp).toBeUndefined();
        }
      });

      it('refuses malformed options with a Status and deletes nothing', async () => {
        await t.api().post('/api/v1/namespaces/apps/services').send(svc('kept-svc')).expect(201);
        const path = '/api/v1/namespaces/apps/services/kept-svc';
        const before = await get(path).expect(200);
        const cases: Array<[string, unknown, number, string]> = [
          ['', { preconditions: 'x' }, 400, 'preconditions must be an object'],
          ['', { preconditions: { uid: 5 } }, 400, 'preconditions.uid must be a string'],
          ['', { gracePeriodSeconds: 'abc' }, 400, 'gracePeriodSeconds must be an integer'],
          ['', { gracePeriodSeconds: 1.5 }, 400, 'gracePeriodSeconds must be an integer'],
          ['', { dryRun: 'All' }, 400, 'dryRun must be a list of strings'],
          ['', { orphanDependents: 'yes' }, 400, 'orphanDependents must be true or false'],
          ['', { kind: 'Pod' }, 400, 'must be DeleteOptions'],
          ['', [1], 400, 'must be DeleteOptions'],
          ['', { dryRun: ['Bogus'] }, 422, 'dryRun: Unsupported value: ["Bogus"]'],
          ['', { dryRun: ['All', 'Bogus'] }, 422, 'dryRun: Unsupported value'],
          [
            '',
            { propagationPolicy: 'Bogus' },
            422,
            'propagationPolicy: Unsupported value: "Bogus"',
          ],
          [
            '',
            { propagationPolicy: 'Orphan', orphanDependents: true },
            422,
            'orphanDependents and deletionPropagation cannot be both set',
          ],
          ['?gracePeriodSeconds=abc', undefined, 400, 'gracePeriodSeconds'],
          ['?gracePeriodSeconds=1e3', undefined, 400, 'gracePeriodSeconds'],
          ['?orphanDependents=maybe', undefined, 400, 'orphanDependents'],
          ['?dryRun=Bogus', undefined, 422, 'dryRun: Unsupported value'],
          ['?propagationPolicy=Bogus', undefined, 422, 'propagationPolicy'],
          [
            '?propagationPolicy=Orphan&orphanDependents=false',
            undefined,
            422,
            'cannot be both set',
          ],
        ];
        for (const [query, body, code, message] of cases) {
          const req = t.api().delete(`${path}${query}`);
          const res = body === undefined ? await req : await req.send(body as object);
          expectStatus(res, code, code === 422 ? 'Invalid' : 'BadRequest');
          expect(res.body.message).toContain(message);
          if (code === 422) {
            expect(res.body.details).toMatchObject({ kind: 'DeleteOptions', group: 'meta.k8s.io' });
            expect(res.body.details.causes.length).toBeGreaterThan(0);
          }
          const after = await get(path).expect(200);
          expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
        }
        // deletecollection reads the same options.
        const res = await t
          .api()
          .delete('/api/v1/namespaces/apps/services')
          .send({ dryRun: ['x'] });
        expectStatus(res, 422, 'Invalid');
        await get(path).expect(200);
      });

      it('a resourceVersion precondition that does not match is 409; one that matches deletes', async () => {
        await t.api().post('/api/v1/namespaces/apps/services').send(svc('rv-svc')).expect(201);
        const path = '/api/v1/namespaces/apps/services/rv-svc';
        const current = await get(path).expect(200);
        const stale = await t
          .api()
          .delete(path)
          .send({ preconditions: { resourceVersion: '1' } });
        expectStatus(stale, 409, 'Conflict');
        expect(stale.body.message).toContain('ResourceVersion in precondition: 1');
        await get(path).expect(200);
        await t
          .api()
          .delete(path)
          .send({
            preconditions: {
              uid: current.body.metadata.uid,
              resourceVersion: current.body.metadata.resourceVersion,
            },
          })
          .expect(200);
        await get(path).expect(404);
      });

      it('orphanDependents: true orphans (the orphan finalizer), false answers 202 while the object is kept', async () => {
        await t
          .api()
          .post('/apis/apps/v1/namespaces/apps/deployments')
          .send(deployment('orphaner'))
          .expect(201);
        const path = '/apis/apps/v1/namespaces/apps/deployments/orphaner';
        const orphaned = await t.api().delete(path).send({ orphanDependents: true }).expect(200);
        expect(orphaned.body.metadata.finalizers).toEqual(['orphan']);
        expect(orphaned.body.metadata.deletionTimestamp).toBeDefined();

        await t
          .api()
          .post('/api/v1/namespaces/apps/pods')
          .send({ ...pod('held-202'), metadata: { name: 'held-202', finalizers: ['x.io/hold'] } })
          .expect(201);
        const res = await t
          .api()
          .delete('/api/v1/namespaces/apps/pods/held-202?orphanDependents=false')
          .expect(202);
        expect(res.body.metadata.deletionTimestamp).toBeDefined();
      });

      it('a negative gracePeriodSeconds is refused (422) and deletes nothing', async () => {
        // Kubernetes' BeforeDelete would take it as 1 s and delete; Berth refuses the mistake.
        await t.api().post('/api/v1/namespaces/apps/pods').send(pod('negative-grace')).expect(201);
        for (const [suffix, body] of [
          ['', { gracePeriodSeconds: -5 }],
          ['?gracePeriodSeconds=-5', undefined],
        ] as const) {
          const req = t.api().delete(`/api/v1/namespaces/apps/pods/negative-grace${suffix}`);
          const res = await (body ? req.send(body) : req);
          expectStatus(res, 422, 'Invalid');
          expect(res.body.details.causes[0]).toMatchObject({ field: 'gracePeriodSeconds' });
        }
        await get('/api/v1/namespaces/apps/pods/negative-grace').expect(200);
      });
    });

    it('deleting a namespace marks it Terminating and keeps its content for the namespace controller', async () => {
      // No worker runs here: the API only marks the namespace, as Kubernetes' does; the
      // namespace controller (apps/worker, namespace.int-spec.ts) empties and removes it.
      await t.api().post('/api/v1/namespaces').send(ns('short-lived')).expect(201);
      await t.api().post('/api/v1/namespaces/short-lived/pods').send(pod('inside')).expect(201);
      const res = await t.api().delete('/api/v1/namespaces/short-lived').expect(200);
      expect(res.body).toMatchObject({
        kind: 'Namespace',
        metadata: { name: 'short-lived', finalizers: ['kubernetes'] },
        status: { phase: 'Terminating' },
      });
      expect(res.body.metadata.deletionTimestamp).toBeDefined();

      const got = await t.api().get('/api/v1/namespaces/short-lived').expect(200);
      expect(got.body.status.phase).toBe('Terminating');
      await t.api().get('/api/v1/namespaces/short-lived/pods/inside').expect(200);

      const refused = await t.api().post('/api/v1/namespaces/short-lived/pods').send(pod('late'));
      expectStatus(refused, 403, 'Forbidden');
      expect(refused.body.message).toBe(
        'pods "late" is forbidden: unable to create new content in namespace short-lived because it is being terminated',
      );
      expect(refused.body.details).toMatchObject({
        name: 'late',
        kind: 'pods',
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: 'namespace short-lived is being terminated',
            field: 'metadata.namespace',
          },
        ],
      });

      // Deleting it again changes nothing: it is already on its way out.
      const again = await t.api().delete('/api/v1/namespaces/short-lived').expect(200);
      expect(again.body.metadata.deletionTimestamp).toBe(res.body.metadata.deletionTimestamp);
      expect(again.body.metadata.resourceVersion).toBe(res.body.metadata.resourceVersion);
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

  describe('list', () => {
    beforeAll(async () => {
      await t.api().post('/api/v1/namespaces').send(ns('listing')).expect(201);
      for (const [name, labels] of [
        ['a1', { app: 'a', env: 'prod' }],
        ['a2', { app: 'a', env: 'dev' }],
        ['b1', { app: 'b' }],
      ] as const) {
        await t.api().post('/api/v1/namespaces/listing/pods').send(pod(name, labels)).expect(201);
      }
    });

    it.each([
      ['app=a', ['a1', 'a2']],
      ['app==a', ['a1', 'a2']],
      ['app!=a', ['b1']],
      ['env in (prod,staging)', ['a1']],
      ['env notin (prod)', ['a2', 'b1']],
      ['env', ['a1', 'a2']],
      ['!env', ['b1']],
      ['app=a,env=dev', ['a2']],
    ])('labelSelector %s', async (selector, names) => {
      const res = await t
        .api()
        .get(`/api/v1/namespaces/listing/pods?labelSelector=${encodeURIComponent(selector)}`)
        .expect(200);
      expect(res.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(
        names,
      );
      expect(res.body.kind).toBe('PodList');
      expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);
    });

    it('fieldSelector on metadata.name and status.phase', async () => {
      const byName = await t
        .api()
        .get('/api/v1/namespaces/listing/pods?fieldSelector=metadata.name%3Da2')
        .expect(200);
      expect(byName.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(
        ['a2'],
      );
      const pending = await t
        .api()
        .get('/api/v1/namespaces/listing/pods?fieldSelector=status.phase%3DPending')
        .expect(200);
      expect(pending.body.items).toHaveLength(3);
      const notPending = await t
        .api()
        .get('/api/v1/namespaces/listing/pods?fieldSelector=status.phase!%3DPending')
        .expect(200);
      expect(notPending.body.items).toHaveLength(0);
    });

    it('lists across namespaces', async () => {
      const res = await t.api().get('/api/v1/pods?labelSelector=app%3Da').expect(200);
      expect(
        res.body.items.map((p: { metadata: { namespace: string } }) => p.metadata.namespace),
      ).toEqual(['listing', 'listing']);
    });

    it('paginates with limit and continue, every object exactly once while writes happen', async () => {
      await t.api().post('/api/v1/namespaces').send(ns('paging')).expect(201);
      for (let i = 0; i < 30; i++) {
        await t
          .api()
          .post('/api/v1/namespaces/paging/pods')
          .send(pod(`p-${String(i).padStart(2, '0')}`))
          .expect(201);
      }
      const seen: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const res = await t
          .api()
          .get(
            `/api/v1/namespaces/paging/pods?limit=7${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
          )
          .expect(200);
        seen.push(...res.body.items.map((p: { metadata: { name: string } }) => p.metadata.name));
        token = res.body.metadata.continue ?? '';
        pages++;
        await t
          .api()
          .patch('/api/v1/namespaces/paging/pods/p-00')
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { labels: { page: String(pages) } } })
          .expect(200);
        await t
          .api()
          .patch('/api/v1/namespaces/paging/pods/p-29')
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { labels: { page: String(pages) } } })
          .expect(200);
      } while (token);
      expect(pages).toBe(5);
      expect(seen).toHaveLength(30);
      expect(new Set(seen).size).toBe(30);
    });

    it('prints a server-side Table for kubectl', async () => {
      const res = await t
        .api()
        .get('/api/v1/namespaces/listing/pods')
        .set(
          'Accept',
          'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
        )
        .expect(200);
      expect(res.body.kind).toBe('Table');
      expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(res.body.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
        'Name',
        'Ready',
        'Status',
        'Restarts',
        'Age',
      ]);
      expect(res.body.rows[0].cells.slice(0, 4)).toEqual(['a1', '0/1', 'Pending', '0']);
      expect(res.body.rows[0].object).toMatchObject({
        kind: 'PartialObjectMetadata',
        metadata: { name: 'a1', namespace: 'listing' },
      });
    });
  });
});
