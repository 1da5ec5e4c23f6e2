import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

/**
 * The most ports one Service may have (BERTH_SERVICE_MAX_PORTS): refused with 422 and one
 * cause naming spec.ports, on create, update and patch, with nothing written.
 */
describe('ports per Service (real API and PostgreSQL)', () => {
  const ports = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: 1000 + i }));
  const svc = (name: string, n: number) => ({
    metadata: { name },
    spec: { selector: { app: name }, ports: ports(n) },
  });

  describe('with the default limit (100)', () => {
    let s: TestApiServer;
    beforeAll(async () => {
      s = await startTestApiServer();
      await s
        .api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: 'lim' } })
        .expect(201);
    });
    afterAll(() => s?.close());

    it('refuses a Service with 20,000 ports and accepts one with 100', async () => {
      const res = await s
        .api()
        .post('/api/v1/namespaces/lim/services')
        .send(svc('huge', 20_000))
        .expect(422);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message:
          'Service "huge" is invalid: spec.ports: Too many: 20000: must have at most 100 ports',
        details: {
          name: 'huge',
          kind: 'Service',
          causes: [
            {
              reason: 'FieldValueTooMany',
              field: 'spec.ports',
              message: 'Too many: 20000: must have at most 100 ports',
            },
          ],
        },
      });
      await s.api().get('/api/v1/namespaces/lim/services/huge').expect(404);
      await s.api().post('/api/v1/namespaces/lim/services').send(svc('full', 100)).expect(201);
    });

    it('refuses an update or a patch that goes over the limit, and keeps the Service as it was', async () => {
      const created = await s
        .api()
        .post('/api/v1/namespaces/lim/services')
        .send(svc('grow', 2))
        .expect(201);
      const patched = await s
        .api()
        .patch('/api/v1/namespaces/lim/services/grow')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { ports: ports(101) } })
        .expect(422);
      expect(patched.body.details.causes).toEqual([
        expect.objectContaining({ reason: 'FieldValueTooMany', field: 'spec.ports' }),
      ]);
      const put = await s
        .api()
        .put('/api/v1/namespaces/lim/services/grow')
        .send({ ...created.body, spec: { ...created.body.spec, ports: ports(150) } })
        .expect(422);
      expect(put.body.message).toContain('Too many: 150: must have at most 100 ports');
      const stored = await s.api().get('/api/v1/namespaces/lim/services/grow').expect(200);
      expect(stored.body.spec.ports).toHaveLength(2);
      expect(stored.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    });
  });

  describe('with BERTH_SERVICE_MAX_PORTS=3', () => {
    let s: TestApiServer;
    beforeAll(async () => {
      s = await startTestApiServer({ serviceMaxPorts: 3 });
      await s
        .api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: 'lim' } })
        .expect(201);
    });
    afterAll(() => s?.close());

    it('applies the configured limit, also to dry runs', async () => {
      await s.api().post('/api/v1/namespaces/lim/services').send(svc('three', 3)).expect(201);
      const res = await s
        .api()
        .post('/api/v1/namespaces/lim/services?dryRun=All')
        .send(svc('four', 4))
        .expect(422);
      expect(res.body.message).toBe(
        'Service "four" is invalid: spec.ports: Too many: 4: must have at most 3 ports',
      );
    });
  });
});
