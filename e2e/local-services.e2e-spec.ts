import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, ROOT, waitFor } from './support/processes';

// `npm start` (scripts/start.js) with nothing given and nothing running: it must start an
// embedded PostgreSQL (data in <data dir>/postgres) and redis-server (data in <data dir>/redis)
// itself, serve the API on them, and stop both with Berth. The shared servers on 5432/6379 are
// left alone: BERTH_LOCAL_POSTGRES/BERTH_LOCAL_REDIS point the "is one running?" probe (and
// so where the private one is started) at free ports where nothing answers.

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** This process's environment without any PostgreSQL or Redis it names. */
function bareEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'BERTH_TEST_DATABASE_URL', 'REDIS_URL', 'BERTH_ADMIN_TOKEN'])
    delete env[k];
  return env;
}

interface Started {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

function startScript(env: NodeJS.ProcessEnv): Started {
  let out = '';
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

describe('npm start with no PostgreSQL or Redis running', () => {
  let work: string;
  let started: Started | undefined;

  beforeAll(() => {
    if (!existsSync(path.join(ROOT, 'apps/api/dist/main.js')))
      throw new Error('apps/api/dist is missing: run `npm run build` first (npm test does)');
  });
  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-local-services-'));
    // As root, PostgreSQL runs as the user postgres, which must pass through to its data.
    chmodSync(work, 0o711);
  });
  afterEach(async () => {
    if (started && started.child.exitCode === null) {
      started.child.kill('SIGKILL');
      await started.exit;
    }
    started = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('starts an embedded PostgreSQL and redis-server, serves the API on them and stops them', async () => {
    const [pgPort, redisPort, httpPort, port] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);
    const dataDir = path.join(work, 'data');
    started = startScript({
      ...bareEnv(),
      BERTH_DATA_DIR: dataDir,
      BERTH_HTTP_PORT: String(httpPort),
      PORT: String(port),
      BERTH_HOST: '127.0.0.1',
      BERTH_LOCAL_POSTGRES: `127.0.0.1:${pgPort}`,
      BERTH_LOCAL_REDIS: `127.0.0.1:${redisPort}`,
      BERTH_DEMO_NODES: '0',
      BERTH_LOG_LEVEL: 'warn',
    });
    const s = started;
    await waitFor(
      () => s.output().includes('Berth is up') || s.child.exitCode !== null,
      `npm start to come up (output: ${s.output()})`,
      150_000,
      200,
    );
    if (s.child.exitCode !== null) throw new Error(`npm start exited: ${s.output()}`);
    expect(s.output()).toContain(
      `nothing answers on 127.0.0.1:${pgPort}: started an embedded PostgreSQL there`,
    );
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${httpUrl}/readyz`)).status).toBe(200);

    // The API's database is in the embedded server, whose data lives in <data dir>/postgres.
    const db = new Client({ connectionString: `postgresql://postgres@127.0.0.1:${pgPort}/berth` });
    await db.connect();
    try {
      const dir = await db.query('SHOW data_directory');
      expect(dir.rows[0].data_directory).toBe(path.join(dataDir, 'postgres'));
    } finally {
      await db.end();
    }
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'redis'))).toBe(true);
    expect(await answers(redisPort)).toBe(true);

    // A namespace written through the API reads back.
    const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${httpUrl}/api/v1/namespaces`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'embedded' } }),
    });
    expect(created.status).toBe(201);
    const got = await fetch(`${httpUrl}/api/v1/namespaces/embedded`, { headers });
    expect(got.status).toBe(200);
    expect((await got.json()).metadata.name).toBe('embedded');

    // Stopping Berth stops both servers it started.
    s.child.kill('SIGTERM');
    await s.exit;
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);
  }, 180_000);

  it('says in one line how to install Redis when there is none, and starts nothing', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const noBin = path.join(work, 'bin'); // a PATH with no redis-server on it
    started = startScript({
      ...bareEnv(),
      PATH: noBin,
      BERTH_DATA_DIR: path.join(work, 'data'),
      BERTH_LOCAL_POSTGRES: `127.0.0.1:${pgPort}`,
      BERTH_LOCAL_REDIS: `127.0.0.1:${redisPort}`,
    });
    const code = await started.exit;
    expect(code).not.toBe(0);
    const lines = started.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`nothing answers on 127.0.0.1:${redisPort}`);
    expect(lines[0]).toContain('apt-get install redis-server');
    expect(lines[0]).toContain('brew install redis');
    expect(await answers(pgPort)).toBe(false);
    expect(existsSync(path.join(work, 'data', 'postgres'))).toBe(false);
  }, 60_000);

  // As root the server runs as the user postgres; a checkout it cannot reach (under /root,
  // say: 0700) gets its data kept in /var/lib/berth-postgres, linked from .data/postgres.
  (process.getuid?.() === 0 ? it : it.skip)(
    'as root, keeps the data where the postgres user can reach it',
    async () => {
      const closed = path.join(work, 'closed');
      const dataDir = path.join(closed, 'checkout', '.data', 'postgres');
      mkdirSync(path.dirname(dataDir), { recursive: true });
      chmodSync(closed, 0o700);
      const port = await freePort();
      const script = `require('./scripts/services').startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} })
        .then(async (pg) => { console.log(JSON.stringify({ dataDir: pg.dataDir })); await pg.stop(); })
        .catch((e) => { console.error(e.message); process.exit(1); });`;
      const run = spawnSync(process.execPath, ['-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const used = JSON.parse(run.stdout.trim().split('\n').pop()!).dataDir as string;
      try {
        expect(path.dirname(used)).toBe('/var/lib/berth-postgres');
        expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
        expect(realpathSync(dataDir)).toBe(used);
        expect(existsSync(path.join(used, 'PG_VERSION'))).toBe(true);
        expect(await answers(port)).toBe(false);
      } finally {
        rmSync(used, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
