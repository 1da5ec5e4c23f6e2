import { findResource, type KubeObject } from '@berth/core';
import { Registry } from '@berth/registry';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

const WRITE = { dryRun: false, fieldValidation: 'Strict' as const };

/**
 * A write that changes nothing must not make a revision: two controllers that each react to
 * the other's writes would otherwise rewrite the same objects forever (it happened: a
 * Deployment and its ReplicaSet were rewritten thousands of times a minute because one
 * status carried a property set to `undefined`).
 */
describe('no-op writes (real PostgreSQL)', () => {
  let s: TestApiServer;
  let registry: Registry;
  const deployments = findResource('apps', 'v1', 'deployments')!;

  beforeAll(async () => {
    s = await startTestApiServer();
    registry = s.server.app.get(Registry);
    await s
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'n' } })
      .expect(201);
    await s
      .api()
      .post('/apis/apps/v1/namespaces/n/deployments')
      .send({
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      })
      .expect(201);
  });
  afterAll(() => s?.close());

  const get = async () =>
    (await s.api().get('/apis/apps/v1/namespaces/n/deployments/web').expect(200))
      .body as KubeObject;
  const patch = (body: object) =>
    s
      .api()
      .patch('/apis/apps/v1/namespaces/n/deployments/web')
      .set('Content-Type', 'application/merge-patch+json')
      .send(body)
      .expect(200);

  it('keeps the resourceVersion when the update only adds undefined properties', async () => {
    const before = await get();
    const after = await registry.guaranteedUpdate(
      deployments,
      'n',
      'web',
      undefined,
      WRITE,
      (cur) => ({
        ...cur,
        metadata: { ...cur.metadata, annotations: undefined },
        spec: { ...(cur.spec as Record<string, unknown>), paused: undefined },
      }),
    );
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await get()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('keeps the resourceVersion and generation for a patch that changes nothing', async () => {
    const before = await get();
    await patch({ spec: { replicas: (before.spec as { replicas: number }).replicas } });
    const after = await get();
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('still writes a real change, with a new generation', async () => {
    const before = await get();
    await patch({ spec: { replicas: 2 } });
    const after = await get();
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    );
    expect(after.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);
  });
});
