import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubectl, startApiProcess, type ApiProcess } from './support/processes';

// Tenant isolation as a team sees it with the real kubectl: two kubeconfigs (team-a and
// team-b admins) against one Berth.

async function call(
  api: ApiProcess,
  method: string,
  url: string,
  body?: unknown,
  token = api.token,
) {
  const res = await fetch(`${api.httpUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('tenancy with the real kubectl', () => {
  let api: ApiProcess;
  let work: string;
  const kubeconfigs: Record<string, string> = {};
  const as = (who: string, ...args: string[]) =>
    kubectl(kubeconfigs[who], path.join(work, `cache-${who}`), args);

  beforeAll(async () => {
    api = await startApiProcess();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-tenancy-'));
    const admin = readFileSync(api.kubeconfig, 'utf8');
    for (const [team, ns] of [
      ['a', 'a1'],
      ['b', 'b1'],
    ]) {
      const user = `${team}-admin`;
      await call(api, 'POST', '/auth/users', { username: user, password: 'team-password-1' });
      await call(api, 'POST', '/apis/tenancy.berth.dev/v1/tenants', {
        metadata: { name: `team-${team}` },
        spec: { namespaceLimit: 2, members: [{ user, role: 'tenant-admin' }] },
      });
      await call(api, 'POST', '/api/v1/namespaces', {
        metadata: { name: ns, labels: { 'tenancy.berth.dev/tenant': `team-${team}` } },
      });
      const session = await call(api, 'POST', '/auth/login', {
        username: user,
        password: 'team-password-1',
      });
      const token = (await call(api, 'POST', '/auth/tokens', { name: 'kubectl' }, session.token))
        .token;
      const file = path.join(work, `team-${team}.kubeconfig`);
      writeFileSync(file, admin.replace(`token: ${api.token}`, `token: ${token}`));
      kubeconfigs[team] = file;
    }
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('shows each team only its own namespaces and tenant', () => {
    const a = as('a', 'get', 'ns', '-o', 'name');
    expect(a).toMatchObject({ code: 0, stdout: 'namespace/a1\n' });
    const b = as('b', 'get', 'namespaces', '-o', 'name');
    expect(b).toMatchObject({ code: 0, stdout: 'namespace/b1\n' });
    expect(as('a', 'get', 'tenants', '-o', 'name').stdout).toBe(
      'tenant.tenancy.berth.dev/team-a\n',
    );
    expect(as('a', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}').stdout).toBe(
      'a-admin',
    );
  });

  it("treats the other team's namespace as not existing", () => {
    const pods = as('a', 'get', 'pods', '-n', 'b1');
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toMatch(/^Error from server \(NotFound\): .*namespaces "b1" not found$/m);
    const ns = as('a', 'delete', 'namespace', 'b1');
    expect(ns.code).not.toBe(0);
    expect(ns.stderr).toContain('namespaces "b1" not found');
    const create = as('a', 'create', 'deployment', 'web', '--image=nginx', '-n', 'b1');
    expect(create.code).not.toBe(0);
    expect(create.stderr).toContain('namespaces "b1" not found');
  });

  it('answers kubectl auth can-i from the same rules', () => {
    expect(as('a', 'auth', 'can-i', 'create', 'deployments', '-n', 'a1')).toMatchObject({
      code: 0,
      stdout: 'yes\n',
    });
    expect(as('a', 'auth', 'can-i', 'create', 'deployments', '-n', 'b1')).toMatchObject({
      code: 1,
      stdout: 'no\n',
    });
    expect(as('b', 'auth', 'can-i', 'delete', 'pods', '-n', 'b1').stdout).toBe('yes\n');
    expect(as('a', 'auth', 'can-i', 'create', 'nodes').stdout).toBe('no\n');
    const list = as('a', 'auth', 'can-i', '--list', '-n', 'a1');
    expect(list.code).toBe(0);
    // Its own namespace is listed by name; nothing of team-b appears.
    expect(list.stdout).toMatch(
      /^namespaces\s+\[\]\s+\[a1\]\s+\[get watch delete update patch\]$/m,
    );
    expect(list.stdout).not.toMatch(/b1|team-b/);
    expect(list.stdout).toMatch(
      /^deployments\.apps\s+\[\]\s+\[\]\s+\[create delete deletecollection patch update get list watch\]$/m,
    );
  });

  it('lets a tenant admin create namespaces in the tenant, up to its limit', () => {
    expect(as('a', 'create', 'namespace', 'a2')).toMatchObject({
      code: 0,
      stdout: 'namespace/a2 created\n',
    });
    expect(
      as(
        'a',
        'get',
        'ns',
        'a2',
        '-o',
        "jsonpath={.metadata.labels['tenancy\\.berth\\.dev/tenant']}",
      ).stdout,
    ).toBe('team-a');
    expect(as('a', 'get', 'ns', '-o', 'name').stdout).toBe('namespace/a1\nnamespace/a2\n');
    expect(as('b', 'get', 'ns', '-o', 'name').stdout).toBe('namespace/b1\n');
    const third = as('a', 'create', 'namespace', 'a3');
    expect(third.code).not.toBe(0);
    expect(third.stderr).toContain('tenant "team-a" already has 2 of its 2 namespaces (a1, a2)');
    expect(as('a', 'create', 'deployment', 'web', '--image=nginx', '-n', 'a2').code).toBe(0);
  });
});
