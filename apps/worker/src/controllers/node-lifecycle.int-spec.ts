import type { KubeObject } from '@berth/core';
import {
  deployment,
  eventually,
  node,
  startTestCluster,
  type TestCluster,
} from '../testing/test-cluster';

type Pod = KubeObject & {
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
};
type Node = KubeObject & {
  spec?: { taints?: Array<{ key: string; effect: string; timeAdded?: string }> };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string }> };
};
interface Event {
  reason: string;
  type: string;
  involvedObject: { kind: string; name: string; namespace?: string };
}

const UNREACHABLE = 'node.kubernetes.io/unreachable';

describe('node lifecycle controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const agentTimers: Array<NodeJS.Timeout | undefined> = [];
  let agentOn = true;
  /** Nodes whose agent is alive: it renews their Lease and runs their pods. */
  const alive = new Set(['node-a', 'node-b']);

  const api = () => c.api.api();
  const leasePath = (n: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`;
  const getNode = async (n: string): Promise<Node> =>
    (await api().get(`/api/v1/nodes/${n}`).expect(200)).body;
  const ready = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready');
  const listPods = async (): Promise<Pod[]> =>
    (await api().get('/api/v1/namespaces/w/pods').expect(200)).body.items;
  const isReady = (p: Pod) =>
    (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
  const running = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed';
  const events = async (ns: string): Promise<Event[]> =>
    (await api().get(`/api/v1/namespaces/${ns}/events`).expect(200)).body.items;

  /** Plays the node agents' heartbeat: live nodes renew their Lease. */
  async function heartbeat(): Promise<void> {
    await Promise.all(
      [...alive].map((n) =>
        api()
          .patch(leasePath(n))
          .set('Content-Type', 'application/merge-patch+json')
          .send({ spec: { renewTime: new Date().toISOString() } })
          .expect(200),
      ),
    );
  }

  /** Plays the kubelets of live nodes: their bound pods become Running and Ready. */
  async function kubeletPass(): Promise<void> {
    for (const p of await listPods()) {
      if (!p.spec.nodeName || !alive.has(p.spec.nodeName) || isReady(p) || !running(p)) continue;
      const now = new Date().toISOString();
      await api()
        .patch(`/api/v1/namespaces/w/pods/${p.metadata.name}/status`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({
          status: {
            phase: 'Running',
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: 'True', lastTransitionTime: now },
              { type: 'ContainersReady', status: 'True' },
            ],
          },
        });
    }
  }

  beforeAll(async () => {
    c = await startTestCluster(1, { nodeGracePeriodMs: 1500, nodeMonitorPeriodMs: 200 });
    // kube-node-lease is made by the API server at start.
    // `default` exists from the API's first start.
    for (const ns of ['w'])
      await api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: ns } })
        .expect(201);
    for (const n of alive) {
      await api()
        .post('/api/v1/nodes')
        .send(node(n, '4', '8Gi'))
        .expect(201);
      await api()
        .post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')
        .send({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: n },
          spec: {
            holderIdentity: n,
            leaseDurationSeconds: 40,
            renewTime: new Date().toISOString(),
          },
        })
        .expect(201);
    }
    // Two loops, as on a real node: heartbeats never wait for pod status writes.
    const loop = (
      pass: () => Promise<void>,
      timers: Array<NodeJS.Timeout | undefined>,
      i: number,
    ) => {
      const run = async () => {
        if (!agentOn) return;
        await pass().catch(() => undefined);
        timers[i] = setTimeout(run, 200);
      };
      void run();
    };
    loop(heartbeat, agentTimers, 0);
    loop(kubeletPass, agentTimers, 1);
  });

  afterAll(async () => {
    agentOn = false;
    for (const t of agentTimers) if (t) clearTimeout(t);
    await c?.close();
  });

  it('keeps heartbeating nodes Ready and untainted', async () => {
    // Several grace periods pass while both leases are renewed.
    const deadline = Date.now() + 3 * 1500;
    while (Date.now() < deadline) {
      for (const n of ['node-a', 'node-b']) {
        const current = await getNode(n);
        expect(ready(current)?.status).toBe('True');
        expect(current.spec?.taints ?? []).toEqual([]);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('marks a node whose lease stops Ready=Unknown with the unreachable NoExecute taint, evicts its pods after their toleration and replaces them on the other node', async () => {
    const web = deployment('web', 4);
    web.spec.template.spec = {
      ...web.spec.template.spec,
      tolerations: [
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 },
      ],
    } as typeof web.spec.template.spec;
    await api().post('/apis/apps/v1/namespaces/w/deployments').send(web).expect(201);
    const placed = await eventually(async () => {
      const pods = (await listPods()).filter(running);
      if (pods.length === 4 && pods.every(isReady)) return pods;
      throw new Error(`pods: ${pods.map((p) => `${p.spec.nodeName}/${isReady(p)}`).join(' ')}`);
    }, '4 ready pods');
    const onA = placed.filter((p) => p.spec.nodeName === 'node-a').map((p) => p.metadata.name);
    // The scheduler spreads a ReplicaSet's pods: node-a has some to lose.
    expect(onA.length).toBeGreaterThan(0);

    alive.delete('node-a');

    const down = await eventually(async () => {
      const a = await getNode('node-a');
      return ready(a)?.status === 'Unknown' ? a : undefined;
    }, 'node-a Ready=Unknown');
    expect(ready(down)?.reason).toBe('NodeStatusUnknown');
    const tainted = await eventually(async () => {
      const a = await getNode('node-a');
      return (a.spec?.taints ?? []).length >= 2 ? a : undefined;
    }, 'node-a tainted');
    expect(tainted.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
      `${UNREACHABLE}:NoExecute`,
      `${UNREACHABLE}:NoSchedule`,
    ]);
    expect(tainted.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toBeDefined();

    await eventually(async () => {
      const e = (await events('default')).find(
        (x) => x.reason === 'NodeNotReady' && x.involvedObject.name === 'node-a',
      );
      return e?.involvedObject.kind === 'Node';
    }, 'a NodeNotReady event for node-a');

    const replaced = await eventually(
      async () => {
        const pods = (await listPods()).filter(running);
        const ok =
          pods.length === 4 &&
          pods.every((p) => p.spec.nodeName === 'node-b' && isReady(p)) &&
          !pods.some((p) => onA.includes(p.metadata.name));
        if (ok) return pods;
        throw new Error(`pods: ${pods.map((p) => `${p.spec.nodeName}/${isReady(p)}`).join(' ')}`);
      },
      '4 ready pods, all on node-b',
      30_000,
    );
    expect(replaced.map((p) => p.spec.nodeName)).toEqual(Array(4).fill('node-b'));
    for (const name of onA) await api().get(`/api/v1/namespaces/w/pods/${name}`).expect(404);
    const podEvents = await events('w');
    for (const name of onA) {
      expect(podEvents).toContainEqual(
        expect.objectContaining({
          reason: 'TaintManagerEviction',
          involvedObject: expect.objectContaining({ kind: 'Pod', name }),
        }),
      );
      expect(podEvents).toContainEqual(
        expect.objectContaining({
          reason: 'NodeNotReady',
          type: 'Warning',
          involvedObject: expect.objectContaining({ kind: 'Pod', name }),
        }),
      );
    }
    const b = await getNode('node-b');
    expect(ready(b)?.status).toBe('True');
    expect(b.spec?.taints ?? []).toEqual([]);
  });

  it('makes the node Ready again without taints when its lease is renewed again', async () => {
    alive.add('node-a');
    const back = await eventually(async () => {
      const a = await getNode('node-a');
      return ready(a)?.status === 'True' && (a.spec?.taints ?? []).length === 0 ? a : undefined;
    }, 'node-a Ready and untainted');
    expect(ready(back)?.reason).toBe('KubeletReady');
    await eventually(
      async () =>
        (await events('default')).some(
          (x) => x.reason === 'NodeReady' && x.involvedObject.name === 'node-a',
        ),
      'a NodeReady event for node-a',
    );
    // Schedulable again: a new pod may land on it.
    await api()
      .post('/api/v1/namespaces/w/pods')
      .send({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pinned' },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': 'node-a' },
          containers: [{ name: 'main', image: 'busybox' }],
        },
      })
      .expect(201);
    await eventually(async () => {
      const p = (await api().get('/api/v1/namespaces/w/pods/pinned').expect(200)).body as Pod;
      return p.spec.nodeName === 'node-a';
    }, 'a pod bound to node-a');
  });
});
