import { createTenantUser, startCluster, type Cluster } from './support/cluster';
import { waitFor } from './support/processes';

// ReplicationController (core/v1, the legacy ReplicaSet) with the real kubectl: a kind
// added as a definition plus a strategy, driven by the ReplicaSet controller.

function rcYaml(name: string, replicas: number, templateApp = name): string {
  return `apiVersion: v1
kind: ReplicationController
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    app: ${name}
  template:
    metadata:
      labels:
        app: ${templateApp}
    spec:
      containers:
        - name: main
          image: busybox:1.36
          command: ["sleep", "3600"]
`;
}

describe('ReplicationControllers with the real kubectl', () => {
  let cluster: Cluster;
  const kubeconfigs: Record<string, string> = {};
  const as = (who: string, ...args: string[]) => cluster.kAs(kubeconfigs[who], ...args);
  const apply = (who: string, ns: string, yaml: string) =>
    cluster.applyAs(kubeconfigs[who], yaml, '-n', ns);
  const podsOf = (app: string) =>
    as('a', 'get', 'pods', '-n', 'a1', '-l', `app=${app}`, '-o', 'name')
      .stdout.split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    cluster = await startCluster({ name: 'rc' });
    kubeconfigs.admin = cluster.api.kubeconfig;
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

  it('is listed by kubectl api-resources with its short name', () => {
    expect(as('admin', 'api-resources').stdout).toMatch(
      /^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m,
    );
  });

  it('kubectl apply creates an RC, and the controller creates its pods', async () => {
    const created = apply('a', 'a1', rcYaml('web', 2));
    expect(created.stderr).toBe('');
    expect(created).toMatchObject({ code: 0, stdout: 'replicationcontroller/web created\n' });
    await waitFor(() => podsOf('web').length === 2, 'two pods of rc/web');
    const owners = as(
      'a',
      'get',
      'pods',
      '-n',
      'a1',
      '-l',
      'app=web',
      '-o',
      'jsonpath={range .items[*]}{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {end}',
    );
    expect(owners.stdout.trim().split(' ')).toEqual([
      'ReplicationController/web',
      'ReplicationController/web',
    ]);
    await waitFor(
      () => /^web\s+2\s+2\s+0\s+\d+s$/m.test(as('a', 'get', 'rc', '-n', 'a1').stdout),
      'kubectl get rc to show 2 current',
    );
    expect(as('a', 'get', 'rc', '-n', 'a1').stdout).toMatch(
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m,
    );
    expect(as('a', 'get', 'rc', 'web', '-n', 'a1', '-o', 'wide').stdout).toMatch(
      /^web\s+2\s+2\s+0\s+\d+s\s+main\s+busybox:1\.36\s+app=web$/m,
    );
  });

  it('kubectl scale rc changes the number of pods', async () => {
    const scaled = as('a', 'scale', 'rc', 'web', '--replicas=3', '-n', 'a1');
    expect(scaled).toMatchObject({ code: 0, stdout: 'replicationcontroller/web scaled\n' });
    await waitFor(() => podsOf('web').length === 3, 'three pods of rc/web');
    expect(as('a', 'scale', 'rc', 'web', '--replicas=1', '-n', 'a1').code).toBe(0);
    await waitFor(() => podsOf('web').length === 1, 'one pod of rc/web');
  });

  it('is invisible to another tenant (get, list -A, watch, scale)', () => {
    const get = as('b', 'get', 'rc', 'web', '-n', 'a1');
    expect(get.code).not.toBe(0);
    expect(get.stderr).toMatch(/NotFound.*namespaces "a1" not found/);
    const all = as('b', 'get', 'rc', '-A', '-o', 'name');
    expect(all).toMatchObject({ code: 0, stdout: '' });
    expect(as('a', 'get', 'rc', '-A', '-o', 'name').stdout).toBe('replicationcontroller/web\n');
    const watch = as('b', 'get', 'rc', '-n', 'a1', '--watch', '--request-timeout=10s');
    expect(watch.code).not.toBe(0);
    expect(watch.stderr).toMatch(/NotFound.*namespaces "a1" not found/);
    const scale = as('b', 'scale', 'rc', 'web', '--replicas=5', '-n', 'a1');
    expect(scale.code).not.toBe(0);
    expect(scale.stderr).toContain('not found');
  });

  it('refuses a selector that does not match the template, naming the field', () => {
    const bad = apply('a', 'a1', rcYaml('odd', 1, 'other'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'ReplicationController "odd" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    );
  });

  it('counts toward count/replicationcontrollers quota', () => {
    const quota = as(
      'admin',
      'create',
      'quota',
      'rcs',
      '-n',
      'a1',
      '--hard=count/replicationcontrollers=1',
    );
    expect(quota.code).toBe(0);
    const second = apply('a', 'a1', rcYaml('second', 1));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('exceeded quota: rcs');
    expect(second.stderr).toContain('count/replicationcontrollers=1');
  });

  it("records the team's writes in the audit trail", async () => {
    let items: Array<Record<string, unknown>> = [];
    await waitFor(async () => {
      ({ items } = await cluster.call('GET', '/audit/events?namespace=a1&user=a-admin&limit=1000'));
      return items.some(
        (e) => e.resource === 'replicationcontrollers' && e.subresource === 'scale',
      );
    }, 'the audit events of rc/web');
    const rc = items.filter((e) => e.resource === 'replicationcontrollers' && e.name === 'web');
    expect(rc).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          verb: 'create',
          code: 201,
          outcome: 'Success',
          tenant: 'team-a',
        }),
        expect.objectContaining({ verb: 'patch', subresource: 'scale', outcome: 'Success' }),
      ]),
    );
  });

  it('kubectl delete rc removes it and its pods', async () => {
    const deleted = as('a', 'delete', 'rc', 'web', '-n', 'a1');
    expect(deleted).toMatchObject({ code: 0, stdout: 'replicationcontroller "web" deleted\n' });
    await waitFor(() => podsOf('web').length === 0, 'the pods of rc/web to go');
    expect(as('a', 'get', 'rc', '-n', 'a1', '-o', 'name').stdout).toBe('');
  });
});
