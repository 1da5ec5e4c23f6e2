import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

/**
 * metadata.uid in a write, as Kubernetes treats it: in a PUT it is a precondition (409 when
 * the object of that name is another one), and a patch cannot change it (422). Both were
 * answered 200 with the uid silently put back.
 */
describe('uid in updates and patches (real PostgreSQL)', () => {
  let s: TestApiServer;
  const path = '/api/v1/namespaces/u/services/web';
  const other = '00000000-0000-0000-0000-000000000000';

  beforeAll(async () => {
    s = await startTestApiServer();
    await s
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'u' } })
      .expect(201);
    await s
      .api()
      .post('/api/v1/namespaces/u/services')
      .send({ metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } })
      .expect(201);
  });
  afterAll(() => s?.close());

  it('refuses a PUT whose uid is not the object’s, and takes one whose uid is', async () => {
    const current = (await s.api().get(path).expect(200)).body;
    const refused = await s
      .api()
      .put(path)
      .send({ ...current, metadata: { ...current.metadata, uid: other, labels: { a: 'b' } } })
      .expect(409);
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(refused.body.message).toContain(`UID in precondition: ${other}`);
    const after = (await s.api().get(path).expect(200)).body;
    expect(after.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
    await s
      .api()
      .put(path)
      .send({ ...current, metadata: { ...current.metadata, labels: { a: 'b' } } })
      .expect(200);
  });

  it('refuses a patch that changes the uid, and takes one that repeats it', async () => {
    const current = (await s.api().get(path).expect(200)).body;
    const refused = await s
      .api()
      .patch(path)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { uid: other, labels: { c: 'd' } } })
      .expect(422);
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(refused.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.uid', reason: 'FieldValueInvalid' }),
    ]);
    expect((await s.api().get(path).expect(200)).body.metadata.resourceVersion).toBe(
      current.metadata.resourceVersion,
    );
    await s
      .api()
      .patch(path)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { uid: current.metadata.uid, labels: { c: 'd' } } })
      .expect(200);
  });
});
