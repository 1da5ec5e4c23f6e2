import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  adminRequests,
  kubectl,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type JsonBody,
  type WorkerProcess,
} from './support/processes';

// `berth backup` / `berth restore` (scripts/berth.js) on a running cluster: a namespace
// made with the real kubectl is backed up, deleted, and found again after the restore,
// with resourceVersions that go on rising, the tenant's API token still working, the
// audit trail kept, watches from before the restore answered 410 Expired, and a Secret
// (stored encrypted) read back in clear: the restarted API has the same encryption key
// (startApiProcess's BERTH_ENCRYPTION_KEY, fixed for the run).

const MANIFEST = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop, labels: { app: web } }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: shop }
rules: [{ apiGroups: [''], resources: [pods], verbs: [get, list] }]
---
apiVersion: v1
kind: LimitRange
metadata: { name: limits, namespace: shop }
spec:
  limits: [{ type: Container, default: { cpu: 200m, memory: 64Mi } }]
`;
const OBJECTS = ['limitrange/limits', 'role.rbac.authorization.k8s.io/reader', 'service/web'];

function berth(args: string[], databaseUrl: string) {
  const res = spawnSync(process.execPath, [path.join(ROOT, 'scripts/berth.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** A watch over plain HTTP: its events as they come, and whether the server ended it. */
function openWatch(api: ApiProcess, url: string) {
  const events: JsonBody[] = [];
  const state = { ended: false, error: undefined as Error | undefined };
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(`${api.httpUrl}${url}`, {
      headers: { authorization: `Bearer ${api.token}` },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        if (buf.slice(0, i).trim()) events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    }
    state.ended = true;
  })().catch((err: Error) => {
    if (!abort.signal.aborted) state.error = err;
    state.ended = true;
  });
  return { events, state, close: () => abort.abort() };
}

describe('backup and restore (berth backup / berth restore)', () => {
  let api: ApiProcess;
  let worker: WorkerProcess | undefined;
  let work: string;
  let tenantKubeconfig: string;
  let admin: ReturnType<typeof adminRequests>;
  const asAdmin = (...args: string[]) =>
    kubectl(api.kubeconfig, path.join(work, 'cache-admin'), args);
  const asTenant = (...args: string[]) =>
    kubectl(tenantKubeconfig, path.join(work, 'cache-tenant'), args);
  const listRevision = async (url: string) =>
    BigInt((await admin.ok('GET', url)).metadata.resourceVersion);
  const startWorker = () => startWorkerProcess(api.db.url, api.queuePrefix, 'backup-worker');

  beforeAll(async () => {
    api = await startApiProcess();
    admin = adminRequests(api);
    worker = await startWorker();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-backup-'));
    await admin.ok('POST', '/auth/users', { username: 'shop-admin', password: 'shop-password-1' });
    await admin.ok('POST', '/apis/tenancy.berth.dev/v1/tenants', {
      metadata: { name: 'shop' },
      spec: { namespaceLimit: 2, members: [{ user: 'shop-admin', role: 'tenant-admin' }] },
    });
    const login = await fetch(`${api.httpUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'shop-admin', password: 'shop-password-1' }),
    });
    const session = (await login.json()).token as string;
    const res = await fetch(`${api.httpUrl}/auth/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kubectl' }),
    });
    const token = (await res.json()).token as string;
    tenantKubeconfig = path.join(work, 'tenant.kubeconfig');
    writeFileSync(
      tenantKubeconfig,
      readFileSync(api.kubeconfig, 'utf8').replace(`token: ${api.token}`, `token: ${token}`),
    );
    await admin.ok('POST', '/api/v1/namespaces', {
      metadata: { name: 'shop', labels: { 'tenancy.berth.dev/tenant': 'shop' } },
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('restores a deleted namespace with rising resourceVersions, tokens and the audit trail', async () => {
    const apply = kubectl(
      tenantKubeconfig,
      path.join(work, 'cache-tenant'),
      ['apply', '-f', '-'],
      MANIFEST,
    );
    expect(apply).toMatchObject({ code: 0 });
    const secretValue = `s3cret-${randomBytes(8).toString('hex')}`;
    expect(
      asTenant(
        'create',
        'secret',
        'generic',
        'creds',
        '-n',
        'shop',
        `--from-literal=x=${secretValue}`,
      ),
    ).toMatchObject({ code: 0 });
    // The audit trail is written in batches: the creates are in it before the backup.
    const auditOf = async () =>
      (await admin.ok('GET', '/audit/events?namespace=shop&limit=1000')).items as JsonBody[];
    await waitFor(
      async () => (await auditOf()).some((e) => e.resource === 'services' && e.verb === 'create'),
      'the audit event of the Service create',
    );
    const file = path.join(work, 'berth.dump');
    const backup = berth(['backup', file], api.db.url);
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.stdout).toContain('backed up database');

    // The namespace goes (the worker's namespace controller empties it first).
    expect(asAdmin('delete', 'namespace', 'shop', '--wait=false').code).toBe(0);
    // NotFound, not any failure of kubectl (a timeout under load is not "gone").
    await waitFor(
      () => /NotFound/.test(asAdmin('get', 'namespace', 'shop').stderr),
      'namespace shop gone',
    );
    expect(asAdmin('get', 'services', '-n', 'shop', '-o', 'name')).toMatchObject({
      code: 0,
      stdout: '',
    });
    expect(asAdmin('get', 'secret', 'creds', '-n', 'shop').stderr).toMatch(/NotFound/);
    const beforeRestore = await listRevision('/api/v1/namespaces');

    // Refused into a database that is not empty without --force; nothing changes.
    const refused = berth(['restore', file], api.db.url);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty .*--force/);
    expect(asAdmin('get', 'namespace', 'shop').code).not.toBe(0);

    // The documented procedure: stop the API servers and workers, restore, start them.
    await worker!.stop();
    worker = undefined;
    await api.halt();
    const restored = berth(['restore', '--force', file], api.db.url);
    expect(restored).toMatchObject({ code: 0 });
    await api.restart();
    worker = await startWorker();

    const names = asAdmin('get', 'limitranges,roles,services', '-n', 'shop', '-o', 'name');
    expect(names).toMatchObject({ code: 0 });
    expect(names.stdout.trim().split('\n').sort()).toEqual(OBJECTS);
    // The Secret is back and still decrypts to what was written.
    const data = asAdmin('get', 'secret', 'creds', '-n', 'shop', '-o', 'jsonpath={.data.x}');
    expect(data).toMatchObject({ code: 0 });
    expect(Buffer.from(data.stdout, 'base64').toString('utf8')).toBe(secretValue);
    // The tenant's API token still works, and its namespace is its own again.
    expect(asTenant('get', 'namespaces', '-o', 'name')).toMatchObject({
      code: 0,
      stdout: 'namespace/shop\n',
    });
    expect(asTenant('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}').stdout).toBe(
      'shop-admin',
    );
    // The audit trail from before the backup is there.
    const audit = await auditOf();
    expect(
      audit.some((e) => e.resource === 'services' && e.verb === 'create' && e.name === 'web'),
    ).toBe(true);

    // resourceVersions go on rising: past everything before the restore, not from the backup's.
    const after = await listRevision('/api/v1/namespaces');
    expect(after).toBeGreaterThan(beforeRestore);
    const annotated = asTenant(
      'annotate',
      'service',
      'web',
      '-n',
      'shop',
      'restored=yes',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    );
    expect(annotated).toMatchObject({ code: 0 });
    expect(BigInt(annotated.stdout)).toBeGreaterThan(after);

    // A watch resuming from before the restore is told to list again.
    const stale = openWatch(api, `/api/v1/namespaces?watch=true&resourceVersion=${beforeRestore}`);
    await waitFor(() => stale.state.ended, 'the stale watch to end');
    expect(stale.events).toEqual([
      expect.objectContaining({
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
      }),
    ]);
  });

  it('ends watches open across a restore on a running API with 410 Expired', async () => {
    const file = path.join(work, 'running.dump');
    expect(berth(['backup', file], api.db.url)).toMatchObject({ code: 0 });
    const from = await listRevision('/api/v1/namespaces/shop/services');
    const watch = openWatch(
      api,
      `/api/v1/namespaces/shop/services?watch=true&resourceVersion=${from}`,
    );
    // Live: a change after the watch began reaches it.
    expect(asAdmin('annotate', 'service', 'web', '-n', 'shop', 'live=1')).toMatchObject({
      code: 0,
    });
    await waitFor(() => watch.events.some((e) => e.type === 'MODIFIED'), 'the live MODIFIED event');
    const seen = watch.events.length;

    const restored = berth(['restore', '--force', file], api.db.url);
    expect(restored).toMatchObject({ code: 0 });
    await waitFor(() => watch.state.ended, 'the open watch to end after the restore');
    // Nothing from the restored history (no event undoing the annotation): only the 410.
    expect(watch.events.slice(seen)).toEqual([
      expect.objectContaining({
        type: 'ERROR',
        object: expect.objectContaining({ code: 410, reason: 'Expired' }),
      }),
    ]);
    // The API serves the restored state: the annotation made after the backup is gone.
    await waitFor(
      () =>
        asAdmin(
          'get',
          'service',
          'web',
          '-n',
          'shop',
          '-o',
          'jsonpath={.metadata.annotations.live}',
        ).stdout === '',
      'the restored Service without the later annotation',
    );
  });
});
