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
});
