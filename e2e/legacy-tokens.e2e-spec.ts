/**
 * Legacy service account token Secrets with the real kubectl: `kubectl apply` a Secret of
 * type kubernetes.io/service-account-token, read its token back with
 * `kubectl get secret -o jsonpath`, act as the account with `kubectl --token`, and lose
 * that identity (401) once the Secret is deleted. A viewer of the namespace cannot read
 * the Secret; another tenant does not see it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  apiCall,
  createTenantUser,
  startCluster,
  type Cluster,
  type TenantUser,
} from './support/cluster';
import { waitFor } from './support/processes';

const NS = 'legacy-a1';

describe('legacy service account token Secrets with the real kubectl', () => {
  let cluster: Cluster;
  let alice: TenantUser;
  let bob: TenantUser;
  let viewer: string;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'legacy-tokens', worker: false });
    alice = await createTenantUser(cluster.api, cluster.work, {
      username: 'alice',
      tenant: 'team-a',
      namespaces: [NS],
    });
    bob = await createTenantUser(cluster.api, cluster.work, {
      username: 'bob',
      tenant: 'team-b',
      namespaces: ['legacy-b1'],
    });
    // vera: a viewer of team-a.
    await cluster.call('POST', '/auth/users', { username: 'vera', password: 'team-password-1' });
    const res = await fetch(`${cluster.api.httpUrl}/apis/tenancy.berth.dev/v1/tenants/team-a`, {
      method: 'PATCH',
      headers: {
        Authorization: `Bearer ${cluster.api.token}`,
        'Content-Type': 'application/merge-patch+json',
      },
      body: JSON.stringify({
        spec: {
          members: [
            { user: 'alice', role: 'tenant-admin' },
            { user: 'vera', role: 'viewer' },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    const session = await apiCall(cluster.api, 'POST', '/auth/login', {
      username: 'vera',
      password: 'team-password-1',
    });
    const { token } = await apiCall(
      cluster.api,
      'POST',
      '/auth/tokens',
      { name: 'e2e' },
      session.token,
    );
    viewer = path.join(cluster.work, 'vera.kubeconfig');
    writeFileSync(
      viewer,
      readFileSync(cluster.api.kubeconfig, 'utf8').replace(
        `token: ${cluster.api.token}`,
        `token: ${token}`,
      ),
    );
  });

  afterAll(() => cluster?.stop());

  it('gives the Secret a token that acts as the account until the Secret is deleted', async () => {
    const a = (...args: string[]) => cluster.kAs(alice.kubeconfig, ...args);
    expect(a('create', 'serviceaccount', 'robot', '-n', NS).code).toBe(0);
    const manifest = path.join(cluster.work, 'robot-token.yaml');
    writeFileSync(
      manifest,
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: robot-token',
        `  namespace: ${NS}`,
        '  annotations:',
        '    kubernetes.io/service-account.name: robot',
        'type: kubernetes.io/service-account-token',
        '',
      ].join('\n'),
    );
    const applied = a('apply', '-f', manifest);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('secret/robot-token created');

    let token = '';
    await waitFor(
      () => {
        const r = a('get', 'secret', 'robot-token', '-n', NS, '-o', 'jsonpath={.data.token}');
        token = Buffer.from(r.stdout, 'base64').toString();
        return r.code === 0 && token.split('.').length === 3;
      },
      'the token controller to fill the Secret',
      20_000,
    );
    const uid = a('get', 'sa', 'robot', '-n', NS, '-o', 'jsonpath={.metadata.uid}').stdout;
    expect(
      a(
        'get',
        'secret',
        'robot-token',
        '-n',
        NS,
        '-o',
        'jsonpath={.metadata.annotations.kubernetes\\.io/service-account\\.uid}',
      ).stdout,
    ).toBe(uid);
    const ca = a(
      'get',
      'secret',
      'robot-token',
      '-n',
      NS,
      '-o',
      'jsonpath={.data.ca\\.crt}',
    ).stdout;
    expect(Buffer.from(ca, 'base64').toString()).toBe(
      readFileSync(path.join(cluster.api.dataDir, 'pki', 'ca.crt'), 'utf8'),
    );

    const asRobot = (...args: string[]) => cluster.kAs(alice.kubeconfig, '--token', token, ...args);
    const who = asRobot('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    expect(who.stderr).toBe('');
    expect(who.stdout).toBe(`system:serviceaccount:${NS}:robot`);
    // Allowed what a RoleBinding grants it.
    expect(
      a(
        'create',
        'rolebinding',
        'robot-view',
        '--clusterrole=view',
        `--serviceaccount=${NS}:robot`,
        '-n',
        NS,
      ).code,
    ).toBe(0);
    await waitFor(
      () => asRobot('get', 'pods', '-n', NS).code === 0,
      'the binding to apply',
      10_000,
    );

    // A viewer of the namespace may not read it; another tenant does not see it.
    const viewed = cluster.kAs(viewer, 'get', 'secret', 'robot-token', '-n', NS);
    expect(viewed.code).not.toBe(0);
    expect(viewed.stderr).toContain('forbidden');
    const other = cluster.kAs(bob.kubeconfig, 'get', 'secret', 'robot-token', '-n', NS);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('not found');
    expect(cluster.kAs(bob.kubeconfig, 'get', 'secrets', '-A', '-o', 'name').stdout).not.toContain(
      'robot-token',
    );

    expect(a('delete', 'secret', 'robot-token', '-n', NS).code).toBe(0);
    const refused = asRobot('get', 'pods', '-n', NS);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/);
    const raw = await fetch(`${cluster.api.httpUrl}/api/v1/namespaces/${NS}/pods`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(raw.status).toBe(401);
  });
});
