import type { KubeObject } from '@berth/core';
import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

const NS = 'doomed';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

function pod(name: string, finalizers?: string[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'loose' }, ...(finalizers ? { finalizers } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
}

function service(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  };
}

describe('namespace controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;

  const api = () => c.api.api();
  const nsPath = `/api/v1/namespaces/${NS}`;
  /** Everything of `path` (cluster-wide list) that is in the namespace. */
  const inNamespace = async (path: string): Promise<KubeObject[]> =>
    (
      await api()
        .get(path)
        .query({ fieldSelector: `metadata.namespace=${NS}` })
        .expect(200)
    ).body.items;
  const conditionsOf = (ns: KubeObject): Record<string, Condition> =>
    Object.fromEntries(
      (((ns.status as { conditions?: Condition[] })?.conditions ?? []) as Condition[]).map((x) => [
        x.type,
        x,
      ]),
    );

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/nodes')
      .send(node('n1', '8', '16Gi'))
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('deletes everything inside, reports what remains in the conditions, and goes when the last finalizer does', async () => {
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
    await api()
      .post(`/apis/apps/v1/namespaces/${NS}/deployments`)
      .send(deployment('web', 3))
      .expect(201);
    await api().post(`${nsPath}/services`).send(service('web')).expect(201);
    await api().post(`${nsPath}/services`).send(service('db')).expect(201);
    await api().post(`${nsPath}/pods`).send(pod('loose')).expect(201);
    await api()
      .post(`${nsPath}/pods`)
      .send(pod('held', ['example.com/x']))
      .expect(201);
    // The Deployment's ReplicaSet and its three pods exist before the deletion starts.
    await eventually(async () => {
      const pods = await inNamespace('/api/v1/pods');
      const rs = await inNamespace('/apis/apps/v1/replicasets');
      return rs.length === 1 && pods.length === 5;
    }, 'the deployment, its ReplicaSet and 3 pods, plus 2 loose pods');

    const res = await api().delete(nsPath).expect(200);
    expect(res.body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: NS, finalizers: ['kubernetes'] },
      status: { phase: 'Terminating' },
    });
    expect(res.body.metadata.deletionTimestamp).toBeDefined();

    // The controller deletes what it can; the held pod stays (marked) and so does the namespace.
    const terminating = await eventually(async () => {
      const ns = (await api().get(nsPath).expect(200)).body as KubeObject;
      const c = conditionsOf(ns);
      const remaining = c.NamespaceContentRemaining;
      if (remaining?.message !== 'Some resources are remaining: pods. has 1 resource instances')
        throw new Error(`NamespaceContentRemaining is ${JSON.stringify(remaining)}`);
      return ns;
    }, 'the namespace to report the one pod left');
    expect(terminating.status).toMatchObject({ phase: 'Terminating' });
    expect(terminating.metadata.finalizers).toEqual(['kubernetes']);
    const conditions = conditionsOf(terminating);
    expect(conditions).toMatchObject({
      NamespaceDeletionDiscoveryFailure: {
        status: 'False',
        reason: 'ResourcesDiscovered',
        message: 'All resources successfully discovered',
      },
      NamespaceDeletionGroupVersionParsingFailure: {
        status: 'False',
        reason: 'ParsedGroupVersions',
        message: 'All legacy kube types successfully parsed',
      },
      NamespaceDeletionContentFailure: {
        status: 'False',
        reason: 'ContentDeleted',
        message: 'All content successfully deleted, may be waiting on finalization',
      },
      NamespaceContentRemaining: { status: 'True', reason: 'SomeResourcesRemain' },
      NamespaceFinalizersRemaining: {
        status: 'True',
        reason: 'SomeFinalizersRemain',
        message:
          'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances',
      },
    });
    for (const cond of Object.values(conditions)) expect(cond.lastTransitionTime).toBeDefined();

    const pods = await inNamespace('/api/v1/pods');
    expect(pods.map((p) => p.metadata.name)).toEqual(['held']);
    expect(pods[0].metadata.deletionTimestamp).toBeDefined();
    expect(await inNamespace('/apis/apps/v1/deployments')).toEqual([]);
    expect(await inNamespace('/apis/apps/v1/replicasets')).toEqual([]);
    expect(await inNamespace('/api/v1/services')).toEqual([]);

    // New content is refused while it terminates, with Kubernetes' message.
    const refused = await api().post(`${nsPath}/services`).send(service('late'));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message:
        'services "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    });

    // The finalizer's owner lets go: the pod goes, then the namespace.
    await api()
      .patch(`${nsPath}/pods/held`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { finalizers: null } })
      .expect(200);
    await eventually(
      async () => (await api().get(nsPath)).status === 404,
      'the namespace to be gone',
    );
    for (const path of [
      '/api/v1/pods',
      '/api/v1/services',
      '/api/v1/events',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/replicasets',
    ]) {
      expect({ path, items: await inNamespace(path) }).toEqual({ path, items: [] });
    }
    const late = await api().post(`${nsPath}/pods`).send(pod('later'));
    expect(late.status).toBe(404);
  });
});
