import { type TestApiServer } from '../testing/test-api-server';
import { ns, pod, startResourcesTestServer } from '../testing/resource-fixtures';

describe('Kubernetes-shaped REST API (real PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startResourcesTestServer();
  });

  afterAll(async () => {
    await t.close();
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
