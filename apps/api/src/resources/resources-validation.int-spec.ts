import { type TestApiServer } from '../testing/test-api-server';
import {
  deployment,
  expectStatus,
  pod,
  startResourcesTestServer,
} from '../testing/resource-fixtures';

describe('Kubernetes-shaped REST API (real PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startResourcesTestServer();
    // The Deployment the create-and-read tests make: the odd patches below aim at it.
    await t
      .api()
      .post('/apis/apps/v1/namespaces/apps/deployments')
      .send(deployment('web'))
      .expect(201);
  });

  afterAll(async () => {
    await t.close();
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
});
