import { startCluster, type Cluster } from './support/cluster';
import { waitFor, type JsonBody } from './support/processes';

// A DaemonSet's revision history with real processes (two agents, process runtime) and the
// real kubectl: ControllerRevisions per template, `kubectl rollout history` (with
// CHANGE-CAUSE and --revision), `kubectl rollout undo --to-revision`, and their removal with
// the DaemonSet.

const NS = 'dh';
const NODES = ['dh-node-1', 'dh-node-2'];

describe('DaemonSet revision history with the real kubectl', () => {
  let c: Cluster;

  const dsYaml = (version: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: logd
  namespace: ${NS}
  annotations:
    kubernetes.io/change-cause: "deploy ${version}"
spec:
  selector:
    matchLabels:
      app: logd
  template:
    metadata:
      labels:
        app: logd
    spec:
      containers:
        - name: main
          image: busybox
          command: ["/bin/sh", "-c", ": ${c.marker}; echo ${version}; sleep 3600"]
`;

  interface PodView {
    node: string;
    hash: string;
    ready: boolean;
    deleting: boolean;
    command: string;
  }
  const pods = async (): Promise<PodView[]> => {
    const list = await c.call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dlogd`);
    return (list.items as JsonBody[]).map((p) => ({
      node: p.spec.nodeName ?? '',
      hash: p.metadata.labels?.['controller-revision-hash'] ?? '',
      ready: (p.status?.conditions ?? []).some(
        (x: JsonBody) => x.type === 'Ready' && x.status === 'True',
      ),
      deleting: Boolean(p.metadata.deletionTimestamp),
      command: (p.spec.containers[0].command as string[]).join(' '),
    }));
  };
  const revisions = async (): Promise<JsonBody[]> =>
    ((await c.call('GET', `/apis/apps/v1/namespaces/${NS}/controllerrevisions`)).items ??
      []) as JsonBody[];
  const allOn = async (version: string) => {
    const live = (await pods()).filter((p) => !p.deleting);
    return (
      live.length === NODES.length &&
      NODES.every((n) => live.some((p) => p.node === n && p.ready)) &&
      live.every((p) => p.command.includes(`echo ${version};`))
    );
  };
  const rolloutStatus = () => {
    const r = c.k('rollout', 'status', 'ds/logd', '-n', NS, '--timeout=90s');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('daemon set "logd" successfully rolled out');
  };

  beforeAll(async () => {
    c = await startCluster({ name: 'ds-history', nodes: NODES, namespaces: [NS] });
  }, 180_000);

  afterAll(async () => {
    await c?.stop();
  });

  it('records revisions 1, 2, 3, shows them, and rolls back to revision 1 node by node', async () => {
    for (const version of ['v1', 'v2', 'v3']) {
      expect(c.apply(dsYaml(version)).code).toBe(0);
      await waitFor(() => allOn(version), `pods of ${version} on every node`, 90_000);
      rolloutStatus();
    }
    const revs = await revisions();
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2, 3]);
    for (const r of revs) {
      expect(r.metadata.labels['controller-revision-hash']).toBe(
        r.metadata.name.slice('logd-'.length),
      );
      expect(r.metadata.ownerReferences).toMatchObject([
        { kind: 'DaemonSet', name: 'logd', controller: true },
      ]);
      expect(r.data.spec.template.$patch).toBe('replace');
    }
    const byRevision = (n: number) => revs.find((r) => r.revision === n)!;
    // Every pod carries the current revision's hash, and status counts them as updated.
    const hash3 = byRevision(3).metadata.labels['controller-revision-hash'];
    expect(new Set((await pods()).map((p) => p.hash))).toEqual(new Set([hash3]));
    const ds = await c.call('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/logd`);
    expect(ds.status.updatedNumberScheduled).toBe(NODES.length);

    const history = c.k('rollout', 'history', 'ds/logd', '-n', NS);
    expect(history.code).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0].trim()).toBe('daemonset.apps/logd');
    expect(lines[1].trim().split(/\s+/)).toEqual(['REVISION', 'CHANGE-CAUSE']);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/))).toEqual([
      ['1', 'deploy', 'v1'],
      ['2', 'deploy', 'v2'],
      ['3', 'deploy', 'v3'],
    ]);
    const two = c.k('rollout', 'history', 'ds/logd', '-n', NS, '--revision=2');
    expect(two.code).toBe(0);
    expect(two.stdout).toContain('with revision #2');
    expect(two.stdout).toContain('echo v2;');
    expect(two.stdout).not.toContain('echo v3;');
    const missing = c.k('rollout', 'history', 'ds/logd', '-n', NS, '--revision=9');
    expect(missing.code).not.toBe(0);

    const get = c.k('get', 'controllerrevisions', '-n', NS);
    expect(get.code).toBe(0);
    const header = get.stdout.split('\n')[0].split(/\s+/);
    expect(header).toEqual(['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    for (const r of revs)
      expect(get.stdout).toMatch(
        new RegExp(`${r.metadata.name}\\s+daemonset\\.apps/logd\\s+${r.revision}\\s`),
      );

    // Undo to revision 1, watching that at most one node is without a ready pod at a time.
    let worst = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const live = (await pods()).filter((p) => !p.deleting && p.ready);
        worst = Math.max(worst, NODES.filter((n) => !live.some((p) => p.node === n)).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const undo = c.k('rollout', 'undo', 'ds/logd', '-n', NS, '--to-revision=1');
    expect([undo.code, undo.stdout.trim()]).toEqual([0, 'daemonset.apps/logd rolled back']);
    await waitFor(() => allOn('v1'), 'pods of v1 again on every node', 90_000);
    rolloutStatus();
    watching = false;
    await watcher;
    expect(worst).toBeLessThanOrEqual(1);
    const after = await revisions();
    const hash1 = byRevision(1).metadata.labels['controller-revision-hash'];
    // Revision 1 is reused as revision 4; no new revision appears.
    expect(after.map((r) => [r.metadata.name, r.revision]).sort()).toEqual(
      [
        [byRevision(1).metadata.name, 4],
        [byRevision(2).metadata.name, 2],
        [byRevision(3).metadata.name, 3],
      ].sort(),
    );
    expect(new Set((await pods()).filter((p) => !p.deleting).map((p) => p.hash))).toEqual(
      new Set([hash1]),
    );
    const again = c.k('rollout', 'history', 'ds/logd', '-n', NS);
    expect(
      again.stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s+/)[0]),
    ).toEqual(['2', '3', '4']);
  }, 600_000);

  it("deletes the DaemonSet's revisions with it", async () => {
    expect((await revisions()).length).toBeGreaterThan(0);
    expect(c.k('delete', 'ds/logd', '-n', NS).code).toBe(0);
    await waitFor(async () => (await revisions()).length === 0, 'revisions collected', 60_000);
  }, 120_000);
});
