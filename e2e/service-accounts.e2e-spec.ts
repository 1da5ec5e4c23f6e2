import { createTenantUser, startCluster, type Cluster } from './support/cluster';
import { waitFor } from './support/processes';

// ServiceAccounts and their tokens with the real kubectl: `kubectl create serviceaccount`,
// `kubectl create token`, and `kubectl --token` acting as the account — allowed only what
// RoleBindings grant it, and never past its tenant. Also the namespaces every client
// assumes (default, kube-system, kube-public).

describe('ServiceAccounts and tokens with the real kubectl', () => {
  let cluster: Cluster;
  const kubeconfigs: Record<string, string> = {};
  const as = (who: string, ...args: string[]) => cluster.kAs(kubeconfigs[who], ...args);
  let token = '';
  const asBot = (...args: string[]) => as('admin', '--token', token, ...args);

  beforeAll(async () => {
    cluster = await startCluster({ name: 'sa' });
    kubeconfigs.admin = cluster.api.kubeconfig;
    for (const team of ['a', 'b']) {
      const user = await createTenantUser(cluster.api, cluster.work, {
        username: `${team}-admin`,
        tenant: `team-${team}`,
        namespaces: [`${team}1`],
      });
      kubeconfigs[team] = user.kubeconfig;
    }
    for (const team of ['a', 'b'])
      await cluster.call('POST', `/api/v1/namespaces/${team}1/pods`, {
        metadata: { name: `${team}-pod` },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
      });
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('has default, kube-system and kube-public from the first start, for cluster admins', () => {
    const got = as('admin', 'get', 'ns', 'default', 'kube-system', 'kube-public', '-o', 'name');
    expect(got).toMatchObject({
      code: 0,
      stdout: 'namespace/default\nnamespace/kube-system\nnamespace/kube-public\n',
    });
    expect(as('admin', 'get', 'svc', 'kubernetes', '-n', 'default', '-o', 'name').stdout).toBe(
      'service/kubernetes\n',
    );
    const hidden = as('a', 'get', 'pods', '-n', 'kube-system');
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toMatch(/namespaces "kube-system" not found|forbidden/);
  });

  it('kubectl create serviceaccount, beside the default account every namespace has', () => {
    expect(as('a', 'get', 'sa', 'default', '-n', 'a1', '-o', 'name').stdout).toBe(
      'serviceaccount/default\n',
    );
    expect(as('a', 'create', 'serviceaccount', 'bot', '-n', 'a1')).toMatchObject({
      code: 0,
      stdout: 'serviceaccount/bot created\n',
    });
    expect(as('a', 'get', 'sa', '-n', 'a1', '-o', 'name').stdout).toBe(
      'serviceaccount/bot\nserviceaccount/default\n',
    );
  });

  it('kubectl create token gives a token kubectl --token accepts, as RBAC grants', async () => {
    const created = as('a', 'create', 'token', 'bot', '-n', 'a1', '--duration', '10m');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    token = created.stdout.trim();
    const denied = asBot('get', 'pods', '-n', 'a1');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'User "system:serviceaccount:a1:bot" cannot list resource "pods" in API group "" in the namespace "a1"',
    );
    expect(
      as(
        'a',
        'create',
        'rolebinding',
        'bot-view',
        '-n',
        'a1',
        '--clusterrole=view',
        '--serviceaccount=a1:bot',
      ).code,
    ).toBe(0);
    await waitFor(() => asBot('get', 'pods', '-n', 'a1').code === 0, 'the binding to apply');
    expect(asBot('get', 'pods', '-n', 'a1', '-o', 'name').stdout).toBe('pod/a-pod\n');
  });

  it("cannot see another tenant's objects by any path, -A included", () => {
    // Even a cluster-wide grant stops at the account's tenant.
    expect(
      as(
        'admin',
        'create',
        'clusterrolebinding',
        'bot-all',
        '--clusterrole=view',
        '--serviceaccount=a1:bot',
      ).code,
    ).toBe(0);
    const other = asBot('get', 'pods', '-n', 'b1');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('namespaces "b1" not found');
    expect(asBot('get', 'pod', 'b-pod', '-n', 'b1').code).not.toBe(0);
    expect(asBot('get', 'pods', '-A', '-o', 'name')).toMatchObject({
      code: 0,
      stdout: 'pod/a-pod\n',
    });
    const watch = asBot('get', 'pods', '-n', 'b1', '--watch', '--request-timeout=5s');
    expect(watch.code).not.toBe(0);
    expect(watch.stderr).toContain('not found');
    expect(as('b', 'get', 'sa', '-A', '-o', 'name').stdout).toBe('serviceaccount/default\n');
  });

  it('counts toward count/serviceaccounts quota', () => {
    expect(
      as('admin', 'create', 'quota', 'sas', '-n', 'a1', '--hard=count/serviceaccounts=2').code,
    ).toBe(0);
    const third = as('a', 'create', 'serviceaccount', 'third', '-n', 'a1');
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('exceeded quota: sas');
    expect(third.stderr).toContain('count/serviceaccounts=2');
  });
});
