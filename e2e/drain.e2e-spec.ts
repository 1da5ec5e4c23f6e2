import { startCluster, type Cluster } from './support/cluster';
import { waitFor, type JsonBody } from './support/processes';

// kubectl drain with a PodDisruptionBudget, with real processes: the API, a worker, two node
// agents (process runtime) and the real kubectl. Three replicas on node A, a budget of
// minAvailable 2: drain evicts them one at a time (the API refusing the rest with 429 until
// a replacement on B is Ready), and the ready replicas never drop below 2.
const NS = 'drain';

describe('kubectl drain honours a PodDisruptionBudget', () => {
  let c: Cluster;
  const pods = async () =>
    (
      (await c.call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`))
        .items as JsonBody[]
    ).map((p) => ({
      name: p.metadata.name as string,
      node: (p.spec.nodeName ?? '') as string,
      ready: (p.status?.conditions ?? []).some(
        (x: JsonBody) => x.type === 'Ready' && x.status === 'True',
      ) as boolean,
    }));

  beforeAll(async () => {
    c = await startCluster({ name: 'drain', nodes: ['node-a', 'node-b'], namespaces: [NS] });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('refuses bad budgets from kubectl create pdb with a field path, and writes nothing', () => {
    const both = c.k(
      'create',
      'pdb',
      'bad',
      '-n',
      NS,
      '--selector=app=web',
      '--min-available=1',
      '--max-unavailable=1',
    );
    expect(both.code).not.toBe(0);
    const pct = c.k('create', 'pdb', 'bad', '-n', NS, '--selector=app=web', '--min-available=150%');
    expect(pct.code).not.toBe(0);
    expect(pct.stderr).toContain('spec.minAvailable');
    const list = c.k('get', 'pdb', '-n', NS, '-o', 'name');
    expect([list.code, list.stdout.trim()]).toEqual([0, '']);
  });

  it('drains node A without ever dropping below minAvailable', async () => {
    expect(c.k('cordon', 'node-b').code).toBe(0);
    const deploy = c.apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox
          command: ["sh", "-c", ": ${c.marker}; sleep 3600"]
`);
    expect(deploy.code).toBe(0);
    await waitFor(
      async () => {
        const p = await pods();
        return p.length === 3 && p.every((x) => x.ready && x.node === 'node-a');
      },
      'three ready replicas on node-a',
      90_000,
    );
    expect(c.k('uncordon', 'node-b').code).toBe(0);
    expect(
      c.k('create', 'pdb', 'web', '-n', NS, '--selector=app=web', '--min-available=2').code,
    ).toBe(0);
    await waitFor(
      () => /web\s+2\s+N\/A\s+1\s/.test(c.k('get', 'pdb', '-n', NS).stdout),
      'kubectl get pdb showing ALLOWED DISRUPTIONS 1',
      30_000,
    );
    const header = c.k('get', 'pdb', '-n', NS).stdout.split('\n')[0];
    expect(header).toMatch(/NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE/);

    let done = false;
    let minReady = 3;
    const drain = c
      .kAsync('drain', 'node-a', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=180s')
      .finally(() => (done = true));
    while (!done) {
      const ready = (await pods()).filter((p) => p.ready).length;
      minReady = Math.min(minReady, ready);
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await drain;
    expect([result.code, result.out]).toEqual([0, expect.stringContaining('evicting pod')]);
    expect(result.out).toContain(
      "Cannot evict pod as it would violate the pod's disruption budget",
    );
    expect(minReady).toBeGreaterThanOrEqual(2);
    await waitFor(
      async () => {
        const p = await pods();
        return p.length === 3 && p.every((x) => x.ready && x.node === 'node-b');
      },
      'three ready replicas on node-b',
      60_000,
    );
  }, 300_000);

  it('answers NotFound for the eviction of a missing pod', async () => {
    const res = await fetch(`${c.api.httpUrl}/api/v1/namespaces/${NS}/pods/nope/eviction`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${c.api.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'nope' },
      }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });
});
