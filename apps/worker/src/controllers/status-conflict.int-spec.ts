import { isConflict, type KubeObject, type ResourceDefinition } from '@berth/core';
import { Registry } from '@berth/registry';
import { AdmissionRepository, Database, ObjectRepository } from '@berth/store';
import { startTestApiServer, type TestApiServer } from '../../../api/src/testing/test-api-server';
import { createLogger } from '../log';
import { EventRecorder } from './events';
import { ReplicaSetController } from './replicaset.controller';

/** A real registry in which a user's write lands while the controller lists the pods. */
class RacingRegistry extends Registry {
  race?: () => Promise<void>;

  override async list(...args: Parameters<Registry['list']>) {
    const [def] = args as [ResourceDefinition];
    const race = this.race;
    if (def.plural === 'pods' && race) {
      this.race = undefined;
      await race();
    }
    return super.list(...args);
  }
}

function replicaSet(replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'main', image: 'nginx' }] },
      },
    },
  };
}

// Status writes are guarded by the resourceVersion the controller observed, as in
// controller-runtime: a status computed from an older object is refused with a Conflict
// (which the work queue turns into an immediate requeue) instead of overwriting.
describe('controller status writes (real PostgreSQL)', () => {
  let api: TestApiServer;
  let database: Database;
  let registry: RacingRegistry;
  let controller: ReplicaSetController;

  beforeAll(async () => {
    api = await startTestApiServer();
    database = new Database(api.db.url, 4);
    registry = new RacingRegistry(
      new ObjectRepository(database.pool),
      new AdmissionRepository(database.pool),
    );
    const log = createLogger({ component: 'test', level: 'error' });
    controller = new ReplicaSetController(registry, new EventRecorder(registry, log), log);
    await api
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'sc' } })
      .expect(201);
  });

  afterAll(async () => {
    await database?.close();
    await api?.close();
  });

  const get = async () =>
    (await api.api().get('/apis/apps/v1/namespaces/sc/replicasets/web').expect(200))
      .body as KubeObject & { status?: Record<string, unknown> };

  it('refuses a ReplicaSet status computed from a stale observation, then writes it on the retry', async () => {
    await api.api().post('/apis/apps/v1/namespaces/sc/replicasets').send(replicaSet(1)).expect(201);
    const first = await get();
    // While the controller works from generation 1, a user scales the ReplicaSet to 3.
    registry.race = async () => {
      await api
        .api()
        .patch('/apis/apps/v1/namespaces/sc/replicasets/web')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas: 3 } })
        .expect(200);
    };
    const err = await controller.reconcile('sc/web').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConflict(err)).toBe(true);
    const after = await get();
    expect(after.metadata.generation).toBe((first.metadata.generation ?? 1) + 1);
    // No status about generation 1 was written over generation 2.
    expect(after.status?.observedGeneration).not.toBe(first.metadata.generation);

    // The retry (what the work queue does at once on a Conflict) observes generation 2.
    await controller.reconcile('sc/web');
    const settled = await get();
    expect(settled.status).toMatchObject({ observedGeneration: after.metadata.generation });
    const pods = (await api.api().get('/api/v1/namespaces/sc/pods').expect(200)).body.items;
    expect(pods).toHaveLength(3);
  });
});
