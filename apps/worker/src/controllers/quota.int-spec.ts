import { isDeepStrictEqual } from 'node:util';
import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

const NS = 'q';

interface QuotaStatus {
  hard?: Record<string, string>;
  used?: Record<string, string>;
}

function pod(name: string, cpu: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu } } }] },
  };
}

describe('resource quota controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;

  const api = () => c.api.api();
  const quotaPath = `/api/v1/namespaces/${NS}/resourcequotas/compute`;
  const status = async (): Promise<QuotaStatus> =>
    (await api().get(quotaPath).expect(200)).body.status ?? {};
  /** Waits until status.used is exactly `used`; on timeout the message shows the last value. */
  const usedBecomes = (used: Record<string, string>, what: string) =>
    eventually(async () => {
      const s = await status();
      if (isDeepStrictEqual(s.used, used)) return s;
      throw new Error(`status.used is ${JSON.stringify(s.used)}`);
    }, what);

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

  it('fills in status.hard and a zero status.used for a new quota', async () => {
    await api()
      .post(`/api/v1/namespaces/${NS}/resourcequotas`)
      .send({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'compute' },
        spec: {
          hard: { pods: '10', 'requests.cpu': '2000m', 'count/deployments.apps': '5' },
        },
      })
      .expect(201);
    const s = await usedBecomes(
      { 'count/deployments.apps': '0', pods: '0', 'requests.cpu': '0' },
      'a zero status.used',
    );
    expect(s.hard).toEqual({ 'count/deployments.apps': '5', pods: '10', 'requests.cpu': '2' });
  });

  it('counts pods, their cpu requests and deployments exactly as they come and go', async () => {
    for (const [name, cpu] of [
      ['a', '250m'],
      ['b', '250m'],
      ['c', '0.5'],
    ])
      await api().post(`/api/v1/namespaces/${NS}/pods`).send(pod(name, cpu)).expect(201);
    await api()
      .post(`/apis/apps/v1/namespaces/${NS}/deployments`)
      .send(deployment('web', 2, '100m'))
      .expect(201);
    await usedBecomes(
      { 'count/deployments.apps': '1', pods: '5', 'requests.cpu': '1200m' },
      '5 pods, 1200m cpu, 1 deployment',
    );

    await api().delete(`/api/v1/namespaces/${NS}/pods/c`).expect(200);
    await usedBecomes(
      { 'count/deployments.apps': '1', pods: '4', 'requests.cpu': '700m' },
      'pod c no longer counted',
    );

    // A finished pod holds no quota.
    await api()
      .patch(`/api/v1/namespaces/${NS}/pods/b/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { phase: 'Succeeded' } })
      .expect(200);
    await usedBecomes(
      { 'count/deployments.apps': '1', pods: '3', 'requests.cpu': '450m' },
      'the Succeeded pod b no longer counted',
    );
  });

  it('repairs a status.used that was changed by hand', async () => {
    const corrupted = await api()
      .patch(`${quotaPath}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { used: { pods: '9', 'requests.cpu': '7' } } })
      .expect(200);
    expect(corrupted.body.status.used.pods).toBe('9');
    await usedBecomes(
      { 'count/deployments.apps': '1', pods: '3', 'requests.cpu': '450m' },
      'status.used repaired',
    );
  });

  it('surfaces pods refused by quota on the ReplicaSet and Deployment, then creates them once the quota allows', async () => {
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'qd' } })
      .expect(201);
    await api()
      .post('/api/v1/namespaces/qd/resourcequotas')
      .send({ metadata: { name: 'two-pods' }, spec: { hard: { pods: '2' } } })
      .expect(201);
    await api()
      .post('/apis/apps/v1/namespaces/qd/deployments')
      .send(deployment('web', 4))
      .expect(201);
    const pods = async () =>
      (await api().get('/api/v1/namespaces/qd/pods').expect(200)).body.items.length;
    const failure = await eventually(async () => {
      const d = (await api().get('/apis/apps/v1/namespaces/qd/deployments/web').expect(200)).body;
      return (d.status?.conditions ?? []).find(
        (x: { type: string }) => x.type === 'ReplicaFailure',
      ) as { status: string; reason: string; message: string } | undefined;
    }, 'a ReplicaFailure condition on the Deployment');
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failure.message).toMatch(
      /^pods "web-[a-z0-9]+-[a-z0-9]+" is forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2$/,
    );
    expect(await pods()).toBe(2);
    const events = await eventually(async () => {
      const items = (
        await api()
          .get('/api/v1/namespaces/qd/events')
          .query({ fieldSelector: 'reason=FailedCreate' })
          .expect(200)
      ).body.items as Array<{ type: string; message: string; involvedObject: { kind: string } }>;
      return items.length ? items : undefined;
    }, 'a FailedCreate event');
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'ReplicaSet' } });
    expect(events[0].message).toMatch(
      /^Error creating: pods ".*" is forbidden: exceeded quota: two-pods/,
    );

    await api()
      .patch('/api/v1/namespaces/qd/resourcequotas/two-pods')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { hard: { pods: '4' } } })
      .expect(200);
    await eventually(async () => (await pods()) === 4, 'all 4 pods once the quota allows', 40_000);
  });
});
