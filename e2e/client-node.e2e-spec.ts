import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startApiProcess, type ApiProcess } from './support/processes';

// The official JavaScript client, @kubernetes/client-node, against the real API as a tenant
// user: create, list, watch and merge-patch a ConfigMap, read a Secret, and be refused
// another tenant's namespace. The client is ESM only, so it runs in a child node process
// (e2e/support/client-node.mjs) and reports what it saw.

async function call(api: ApiProcess, method: string, url: string, body?: unknown, token?: string) {
  const res = await fetch(`${api.httpUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token ?? api.token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('@kubernetes/client-node against the real API', () => {
  let api: ApiProcess;
  const kubeconfigs: Record<string, string> = {};

  beforeAll(async () => {
    api = await startApiProcess();
    const work = mkdtempSync(path.join(os.tmpdir(), 'berth-client-node-'));
    const admin = readFileSync(api.kubeconfig, 'utf8');
    for (const team of ['a', 'b']) {
      const user = `${team}-admin`;
      await call(api, 'POST', '/auth/users', { username: user, password: 'team-password-1' });
      await call(api, 'POST', '/apis/tenancy.berth.dev/v1/tenants', {
        metadata: { name: `team-${team}` },
        spec: { members: [{ user, role: 'tenant-admin' }] },
      });
      await call(api, 'POST', '/api/v1/namespaces', {
        metadata: { name: `${team}1`, labels: { 'tenancy.berth.dev/tenant': `team-${team}` } },
      });
      const session = await call(api, 'POST', '/auth/login', {
        username: user,
        password: 'team-password-1',
      });
      const { token } = await call(api, 'POST', '/auth/tokens', { name: 'js' }, session.token);
      const file = path.join(work, `team-${team}.kubeconfig`);
      writeFileSync(file, admin.replace(`token: ${api.token}`, `token: ${token}`));
      kubeconfigs[team] = file;
    }
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

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
