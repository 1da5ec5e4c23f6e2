import IORedis from 'ioredis';
import {
  deployment,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

// A change the follower never saw (a crash between commit and enqueue, a lost job) must be
// healed by the periodic resync: namespaces being deleted and objects waiting on the
// garbage collector included.
describe('periodic resync (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();

  beforeAll(async () => {
    // No worker yet: the changes below happen while nobody follows the change log.
    c = await startTestCluster(0, { resyncIntervalMs: 1_000 });
  });

  afterAll(async () => {
    await c?.close();
  });

  it('finishes a namespace deletion and collects orphans whose changes were missed', async () => {
    for (const name of ['missed', 'apps'])
      await api().post('/api/v1/namespaces').send({ metadata: { name } }).expect(201);
    await api()
      .post('/api/v1/namespaces/missed/pods')
      .send({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'inside' },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      })
      .expect(201);
    await api().delete('/api/v1/namespaces/missed').expect(200);

    // A pod whose owner is deleted, and a Deployment deleted in the foreground.
    const owner = await api()
      .post('/api/v1/namespaces/apps/services')
      .send({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'owner' },
        spec: { ports: [{ port: 80 }] },
      })
      .expect(201);
    await api()
      .post('/api/v1/namespaces/apps/pods')
      .send({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Service', name: 'owner', uid: owner.body.metadata.uid },
          ],
        },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      })
      .expect(201);
    await api().delete('/api/v1/namespaces/apps/services/owner').expect(200);
    await api()
      .post('/apis/apps/v1/namespaces/apps/deployments')
      .send(deployment('fg', 0))
      .expect(201);
    const fg = await api()
      .delete('/apis/apps/v1/namespaces/apps/deployments/fg')
      .send({ propagationPolicy: 'Foreground' })
      .expect(200);
    expect(fg.body.metadata.finalizers).toEqual(['foregroundDeletion']);

    // The follower will start after all of that, as if it had handled (and lost) it.
    const revision = (await api().get('/api/v1/namespaces').expect(200)).body.metadata
      .resourceVersion as string;
    const redis = new IORedis(c.config.redisUrl);
    await redis.set(`${c.prefix}:feed:revision`, revision);
    redis.disconnect();
    await c.addWorker();

    await eventually(
      async () => (await api().get('/api/v1/namespaces/missed')).status === 404,
      'the Terminating namespace finished by the resync',
    );
    await eventually(
      async () => (await api().get('/api/v1/namespaces/apps/pods/dependent')).status === 404,
      'the pod whose owner is gone collected by the resync',
    );
    await eventually(
      async () => (await api().get('/apis/apps/v1/namespaces/apps/deployments/fg')).status === 404,
      'the foreground deletion finished by the resync',
    );
  });
});
