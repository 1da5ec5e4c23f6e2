/**
 * Key rotation end to end: Secrets written by an API server under k1, the API restarted
 * with k2 first and k1 after it, `berth reencrypt` run while it serves (and writes), then
 * k2 alone reads every Secret and every change-log snapshot, the raw rows show only k2 and
 * no plaintext, and k1 alone fails with a Status that names the missing key.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Pool } from 'pg';
import { KeyRing, ObjectRepository, parseEncryptionKeys } from '@berth/store';
import { startCluster, type Cluster } from './support/cluster';
import { ROOT } from './support/processes';

const K1 = `k1:${randomBytes(32).toString('base64')}`;
const K2 = `k2:${randomBytes(32).toString('base64')}`;
const NS = 'vault';
const COUNT = 25;
const plain = (i: number) => `plaintext-password-${i}-${randomBytes(4).toString('hex')}`;

/** `berth reencrypt` as a process, with `keys` as BERTH_ENCRYPTION_KEY. */
function reencrypt(
  databaseUrl: string,
  keys: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'scripts/berth.js'), 'reencrypt', '--database-url', databaseUrl, ...args],
      { env: { ...process.env, BERTH_ENCRYPTION_KEY: keys }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

// Each test halts and restarts the API process (and runs the CLI): on a loaded machine that
// takes longer than Jest's default 60 s.
jest.setTimeout(240_000);

describe('rotating the Secrets encryption key (API process, berth reencrypt, PostgreSQL)', () => {
  let cluster: Cluster;
  let pool: Pool;
  const values = new Map<string, string>();

  /** Every sealed Secret row: the key name in its prefix, and its raw text. */
  async function rawRows(): Promise<Array<{ table: string; key: string; text: string }>> {
    const { rows } = await pool.query(
      `SELECT 'objects' AS t, data::text AS text, decode(data->>'encrypted', 'base64') AS v
         FROM objects WHERE resource = 'secrets'
       UNION ALL
       SELECT 'changes', object::text, decode(object->>'encrypted', 'base64')
         FROM changes WHERE resource = 'secrets'`,
    );
    return (rows as Array<{ t: string; text: string; v: Buffer | null }>).map((r) => ({
      table: r.t,
      key:
        /^k8s:enc:aesgcm:v1:([^:]+):/.exec(r.v?.subarray(0, 40).toString('latin1') ?? '')?.[1] ??
        '',
      text: r.text,
    }));
  }

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'reencrypt',
      worker: false,
      namespaces: [NS],
      api: { env: { BERTH_ENCRYPTION_KEY: K1 } },
    });
    pool = new Pool({ connectionString: cluster.api.db.url, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it('re-encrypts objects and change-log snapshots while the API runs; k2 alone reads all', async () => {
    for (let i = 0; i < COUNT; i++) {
      const name = `s-${i}`;
      values.set(name, plain(i));
      await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
        metadata: { name },
        stringData: { password: values.get(name) },
      });
    }
    // A MODIFIED and a DELETED snapshot in the change log too.
    values.set('s-0', plain(100));
    await cluster.call('PUT', `/api/v1/namespaces/${NS}/secrets/s-0`, {
      metadata: { name: 's-0' },
      stringData: { password: values.get('s-0') },
    });
    await cluster.call('DELETE', `/api/v1/namespaces/${NS}/secrets/s-1`);
    values.delete('s-1');
    const before = await rawRows();
    const underK1 = (table: string) =>
      before.filter((r) => r.table === table && r.key === 'k1').length;
    expect(underK1('objects')).toBe(COUNT - 1);
    expect(underK1('changes')).toBe(COUNT + 2);
    expect(before.every((r) => r.key === 'k1')).toBe(true);

    // k2 first, k1 still there to read the old rows.
    await cluster.api.halt();
    await cluster.api.restart({ BERTH_ENCRYPTION_KEY: `${K2},${K1}` });
    const running = reencrypt(cluster.api.db.url, `${K2},${K1}`, '--batch-size', '7');
    // A write while it runs: sealed under k2 by the API, never lost.
    values.set('during', plain(200));
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'during' },
      stringData: { password: values.get('during') },
    });
    const run = await running;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: objects: ${underK1('objects')} rewritten`);
    expect(run.stdout).toContain(`berth: changes: ${underK1('changes')} rewritten`);
    expect(run.stdout).toContain('every encrypted row is under k2');

    // Idempotent: nothing left to do.
    const again = await reencrypt(cluster.api.db.url, `${K2},${K1}`);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/objects: 0 rewritten, \d+ already under k2/);
    expect(again.stdout).toMatch(/changes: 0 rewritten, \d+ already under k2/);

    // Raw rows: k2 everywhere, no plaintext anywhere.
    const after = await rawRows();
    expect(after.length).toBe(before.length + 2); // 'during' in objects and in changes
    expect(after.filter((r) => r.key !== 'k2')).toEqual([]);
    for (const v of values.values()) {
      expect(after.some((r) => r.text.includes(v))).toBe(false);
      expect(after.some((r) => r.text.includes(Buffer.from(v).toString('base64')))).toBe(false);
    }

    // k2 alone: the API reads every Secret; the change log opens snapshot by snapshot.
    await cluster.api.halt();
    await cluster.api.restart({ BERTH_ENCRYPTION_KEY: K2 });
    const list = await cluster.call('GET', `/api/v1/namespaces/${NS}/secrets`);
    const got = new Map<string, string>(
      list.items.map((s: { metadata: { name: string }; data: { password: string } }) => [
        s.metadata.name,
        Buffer.from(s.data.password, 'base64').toString(),
      ]),
    );
    expect(got).toEqual(values);
    const k = cluster.k('get', 'secret', 's-0', '-n', NS, '-o', 'jsonpath={.data.password}');
    expect(k.code).toBe(0);
    expect(Buffer.from(k.stdout, 'base64').toString()).toBe(values.get('s-0'));
    const only2 = new ObjectRepository(pool, {
      encryption: { resources: ['secrets'], transformer: new KeyRing(parseEncryptionKeys(K2)) },
    });
    const log = await only2.changesAfter(0n, 1000, 'secrets');
    expect(log.length).toBe(COUNT + 3);
    expect(log.filter((c) => c.type === 'DELETED').map((c) => c.name)).toEqual(['s-1']);
    for (const c of log)
      expect(typeof (c.object.data as { password?: unknown } | undefined)?.password).toBe('string');
  });

  it('with k1 alone, reading fails with a Status naming the missing key, not a stack', async () => {
    await cluster.api.halt();
    await cluster.api.restart({ BERTH_ENCRYPTION_KEY: K1 });
    const res = await fetch(`${cluster.api.httpUrl}/api/v1/namespaces/${NS}/secrets/s-2`, {
      headers: { Authorization: `Bearer ${cluster.api.token}` },
    });
    const status = (await res.json()) as { kind: string; code: number; message: string };
    expect(res.status).toBe(500);
    expect(status.kind).toBe('Status');
    expect(status.message).toContain(
      `cannot decrypt /secrets/${NS}/s-2: stored value was encrypted with key "k2", which is not configured (configured keys: k1)`,
    );
    const k = cluster.k('get', 'secret', 's-2', '-n', NS);
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain('encrypted with key "k2", which is not configured');
    // The server logged one line for it, without a stack trace.
    const line = cluster.api
      .output()
      .split('\n')
      .find((l) => l.includes('encryption at rest'));
    expect((JSON.parse(line!) as { msg: string }).msg).toContain('with key "k2", which is not');
    expect(cluster.api.output()).not.toMatch(/EncryptionError[^\n]*\n\s+at /);

    const cli = await reencrypt(cluster.api.db.url, K1);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /^berth: cannot decrypt \/secrets\/vault\/[^:]+: stored value was encrypted with key "k2", which is not configured \(configured keys: k1\)\n$/,
    );
  });
});
