import { startCluster, type Cluster } from './support/cluster';
import { waitFor, type JsonBody } from './support/processes';

// DaemonSet (apps/v1) with real processes: the API, a worker, agents joining one by one,
// and the real kubectl. One pod per node, placed by the scheduler; a rolling update
// replaces them one node at a time.

function dsYaml(image: string, templateApp = 'agentd'): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agentd
spec:
  selector:
    matchLabels:
      app: agentd
  template:
    metadata:
      labels:
        app: ${templateApp}
    spec:
      containers:
        - name: main
          image: ${image}
          command: ["sleep", "3600"]
`;
}

interface PodView {
  name: string;
  node: string;
  hash: string;
  ready: boolean;
  deleting: boolean;
}

describe('DaemonSets with real agents and the real kubectl', () => {
  let cluster: Cluster;
  const k = (...args: string[]) => cluster.k(...args);
  const apply = (yaml: string) => cluster.apply(yaml, '-n', 'daemons');
  const pods = async (): Promise<PodView[]> => {
    const list = await cluster.call(
      'GET',
      '/api/v1/namespaces/daemons/pods?labelSelector=app%3Dagentd',
    );
    return (list.items as JsonBody[]).map((p) => ({
      name: p.metadata.name,
      node: p.spec.nodeName ?? '',
      hash: p.metadata.labels?.['controller-revision-hash'] ?? '',
      ready: (p.status?.conditions ?? []).some(
        (c: JsonBody) => c.type === 'Ready' && c.status === 'True',
      ),
      deleting: Boolean(p.metadata.deletionTimestamp),
    }));
  };
  const join = (nodeName: string) => cluster.addAgent(nodeName);
  /** One ready, live pod on each of `nodes`, all of revision `hash` when given. */
  const onePodPerNode = async (nodes: string[], hash?: string) => {
    const live = (await pods()).filter((p) => !p.deleting);
    return (
      live.length === nodes.length &&
      nodes.every((n) => live.filter((p) => p.node === n && p.ready).length === 1) &&
      (hash === undefined || live.every((p) => p.hash === hash))
    );
  };

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'ds',
      agent: { runtime: 'simulated', extraArgs: ['--no-proxy'] },
    });
    expect(k('create', 'namespace', 'daemons').code).toBe(0);
    await join('ds-node-a');
    await join('ds-node-b');
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('runs one pod on each of the two agents, placed through the scheduler', async () => {
    const res = apply(dsYaml('busybox:1.36'));
    expect(res.stderr).toBe('');
    await waitFor(() => onePodPerNode(['ds-node-a', 'ds-node-b']), 'a pod on each node');
    const pod = (
      await cluster.call('GET', '/api/v1/namespaces/daemons/pods?labelSelector=app%3Dagentd')
    ).items[0] as JsonBody;
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec.nodeName] }] },
      ],
    });
    expect(pod.spec.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    );
    await waitFor(async () => {
      const out = k('get', 'ds', 'agentd', '-n', 'daemons', '--no-headers').stdout;
      return /^agentd\s+2\s+2\s+2\s+2\s+2\s+<none>\s+/.test(out);
    }, 'kubectl get ds to show 2 desired, current, ready, up-to-date and available');
    const header = k('get', 'ds', '-n', 'daemons').stdout.split('\n')[0];
    expect(header.split(/\s{2,}/)).toEqual([
      'NAME',
      'DESIRED',
      'CURRENT',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'NODE SELECTOR',
      'AGE',
    ]);
  });

  it('gives a third agent its pod within seconds of joining', async () => {
    const joined = Date.now();
    await join('ds-node-c');
    await waitFor(
      () => onePodPerNode(['ds-node-a', 'ds-node-b', 'ds-node-c']),
      'a pod on the third node',
      15_000,
    );
    console.log(`third node's daemon pod ready after ${Date.now() - joined} ms`);
  });

  it('replaces the pods one node at a time in a rolling update, and rollout status follows', async () => {
    const nodes = ['ds-node-a', 'ds-node-b', 'ds-node-c'];
    const before = (await pods())[0].hash;
    expect(apply(dsYaml('busybox:1.37')).stderr).toBe('');
    let updatedHash = '';
    let fewestReady = 3;
    await waitFor(async () => {
      const now = (await pods()).filter((p) => !p.deleting);
      fewestReady = Math.min(fewestReady, now.filter((p) => p.ready).length);
      const hashes = new Set(now.map((p) => p.hash));
      if (hashes.size === 1 && !hashes.has(before)) updatedHash = [...hashes][0];
      return updatedHash !== '' && (await onePodPerNode(nodes, updatedHash));
    }, 'every node to run the updated pod');
    // maxUnavailable 1 (the default): never more than one node without a ready pod.
    expect(fewestReady).toBeGreaterThanOrEqual(2);
    const status = k('rollout', 'status', 'ds/agentd', '-n', 'daemons', '--timeout=30s');
    expect(status.stdout).toContain('successfully rolled out');
  });

  it('refuses a selector that does not match the template with the field path', () => {
    const res = apply(dsYaml('busybox:1.36', 'other').replace('name: agentd', 'name: broken'));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('spec.template.metadata.labels');
    expect(res.stderr).toContain('`selector` does not match template `labels`');
  });
});
