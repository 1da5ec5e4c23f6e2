import { randomUUID } from 'node:crypto';
import type { KubeObject } from '@berth/core';
import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

const NS = 'g';

describe('garbage collector (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;

  const api = () => c.api.api();
  const rsPath = `/apis/apps/v1/namespaces/${NS}/replicasets`;
  const deployPath = `/apis/apps/v1/namespaces/${NS}/deployments`;
  const podPath = `/api/v1/namespaces/${NS}/pods`;
  const list = async (path: string, app: string): Promise<KubeObject[]> =>
    (
      await api()
        .get(path)
        .query({ labelSelector: `app=${app}` })
        .expect(200)
    ).body.items;

  /** A Deployment with its ReplicaSet and all its pods created. */
  async function deployed(name: string, replicas: number) {
    const created = await api().post(deployPath).send(deployment(name, replicas)).expect(201);
    const uid = created.body.metadata.uid as string;
    return eventually(async () => {
      const rs = await list(rsPath, name);
      const pods = await list(podPath, name);
      const owned = rs.length === 1 && rs[0].metadata.ownerReferences?.[0]?.uid === uid;
      return owned && pods.length === replicas ? { uid, rs: rs[0], pods } : undefined;
    }, `${name}: a ReplicaSet with ${replicas} pods`);
  }

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
    await api()
      .post('/api/v1/nodes')
      .send(node('n1', '8', '16Gi'))
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('background (the default, what kubectl sends): the Deployment goes at once, then its ReplicaSet and pods', async () => {
    await deployed('bg', 3);
    await api().delete(`${deployPath}/bg`).send({ propagationPolicy: 'Background' }).expect(200);
    await api().get(`${deployPath}/bg`).expect(404);
    await eventually(
      async () =>
        (await list(rsPath, 'bg')).length === 0 && (await list(podPath, 'bg')).length === 0,
      'the ReplicaSet and pods of bg gone',
    );
  });

  it('orphan: the Deployment goes, its ReplicaSet and pods stay without the owner reference', async () => {
    const { uid, rs } = await deployed('orph', 2);
    const res = await api().delete(`${deployPath}/orph`).send({ propagationPolicy: 'Orphan' });
    expect(res.status).toBe(200);
    expect(res.body.metadata.deletionTimestamp).toBeDefined();
    expect(res.body.metadata.finalizers).toEqual(['orphan']);
    await eventually(
      async () => (await api().get(`${deployPath}/orph`)).status === 404,
      'the Deployment orph gone',
    );
    const kept = (await api().get(`${rsPath}/${rs.metadata.name}`).expect(200)).body as KubeObject;
    expect(kept.metadata.uid).toBe(rs.metadata.uid);
    expect(kept.metadata.ownerReferences ?? []).toEqual([]);
    expect(JSON.stringify(kept)).not.toContain(uid);
    const pods = await list(podPath, 'orph');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences?.[0]?.uid).toBe(rs.metadata.uid);
  });

  it('foreground: the Deployment stays, being deleted, until its ReplicaSet and pods are gone', async () => {
    const { rs, pods } = await deployed('fg', 2);
    // One pod is held by a finalizer, so the wait is observable.
    const held = pods[0].metadata.name!;
    await api()
      .patch(`${podPath}/${held}`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { finalizers: ['test.berth.dev/hold'] } })
      .expect(200);

    const res = await api().delete(`${deployPath}/fg`).send({ propagationPolicy: 'Foreground' });
    expect(res.status).toBe(200);
    expect(res.body.metadata.deletionTimestamp).toBeDefined();
    expect(res.body.metadata.finalizers).toEqual(['foregroundDeletion']);

    // The dependents go first: the other pod is deleted, the held one is marked, the
    // ReplicaSet is being deleted in the foreground too — and everything waits for it.
    const waiting = await eventually(async () => {
      const left = await list(podPath, 'fg');
      const rsNow = (await api().get(`${rsPath}/${rs.metadata.name}`).expect(200)).body;
      const ok =
        left.length === 1 &&
        left[0].metadata.name === held &&
        left[0].metadata.deletionTimestamp &&
        rsNow.metadata.deletionTimestamp &&
        rsNow.metadata.finalizers?.includes('foregroundDeletion');
      return ok ? rsNow : undefined;
    }, 'fg waiting for its last pod');
    expect(waiting.metadata.uid).toBe(rs.metadata.uid);
    const dep = (await api().get(`${deployPath}/fg`).expect(200)).body as KubeObject;
    expect(dep.metadata.deletionTimestamp).toBeDefined();
    expect(dep.metadata.finalizers).toEqual(['foregroundDeletion']);

    // Release the pod: the ReplicaSet goes, then the Deployment.
    await api()
      .patch(`${podPath}/${held}`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { finalizers: null } })
      .expect(200);
    await eventually(
      async () => (await api().get(`${deployPath}/fg`)).status === 404,
      'the Deployment fg gone',
    );
    expect(await list(rsPath, 'fg')).toEqual([]);
    expect(await list(podPath, 'fg')).toEqual([]);
  });

  it('collects an object created after its only owner was gone, and drops a dangling reference beside a live owner', async () => {
    const svc = await api()
      .post(`/api/v1/namespaces/${NS}/services`)
      .send({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'keeper' },
        spec: { ports: [{ port: 80 }] },
      })
      .expect(201);
    const ghost = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'ghost', uid: randomUUID() };
    const live = { apiVersion: 'v1', kind: 'Service', name: 'keeper', uid: svc.body.metadata.uid };
    const pod = (name: string, ownerReferences: object[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'strays' }, ownerReferences },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    await api()
      .post(podPath)
      .send(pod('orphaned', [ghost]))
      .expect(201);
    await api()
      .post(podPath)
      .send(pod('shared', [ghost, live]))
      .expect(201);
    await eventually(
      async () => (await api().get(`${podPath}/orphaned`)).status === 404,
      'the pod whose owner never existed collected',
    );
    const shared = await eventually(async () => {
      const p = (await api().get(`${podPath}/shared`).expect(200)).body as KubeObject;
      return p.metadata.ownerReferences?.length === 1 ? p : undefined;
    }, 'the dangling reference removed');
    expect(shared.metadata.ownerReferences).toEqual([live]);
  });
});
