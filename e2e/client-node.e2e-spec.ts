import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTenantUser, startCluster, type Cluster } from './support/cluster';
import { ROOT } from './support/processes';

// The official JavaScript client, @kubernetes/client-node, against the real API as a tenant
// user: create, list, watch and merge-patch a ConfigMap, read a Secret, and be refused
// another tenant's namespace. The client is ESM only, so it runs in a child node process
// (e2e/support/client-node.mjs) and reports what it saw.

describe('@kubernetes/client-node against the real API', () => {
  let cluster: Cluster;
  const kubeconfigs: Record<string, string> = {};

  beforeAll(async () => {
    cluster = await startCluster({ name: 'client-node', worker: false });
    for (const team of ['a', 'b']) {
      const user = await createTenantUser(cluster.api, cluster.work, {
        username: `${team}-admin`,
        tenant: `team-${team}`,
        namespaces: [`${team}1`],
      });
      kubeconfigs[team] = user.kubeconfig;
    }
  }, 120_000);

  afterAll(() => cluster?.stop());

  it("creates, lists, watches, patches a ConfigMap and reads a Secret; another tenant's namespace is hidden", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'e2e/support/client-node.mjs'), kubeconfigs.a, 'a1', 'b1'],
      { cwd: ROOT, timeout: 90_000 },
    );
    const report = JSON.parse(stdout);
    expect(report.created).toEqual({ name: 'settings', data: { mode: 'one' } });
    expect(report.listed).toContain('settings');
    expect(report.patched).toEqual({ mode: 'two' });
    expect(report.events).toEqual([
      { type: 'ADDED', name: 'settings', mode: 'one' },
      { type: 'MODIFIED', name: 'settings', mode: 'two' },
    ]);
    expect(report.watchErr).toBeNull();
    expect(report.secret).toEqual({ password: 's3cret' });
    // Another tenant's namespace does not exist for this user (as kubectl sees it too): 404,
    // not 403, so its existence is not disclosed.
    expect(report.otherList).toBe(404);
  }, 120_000);
});
