// Shared pieces of the benchmarks: options, a fresh API server on its own database,
// a keep-alive HTTP client, a reopening watch, child processes, the PostgreSQL INSERT
// ceiling and percentiles.
const http = require('node:http');
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { mkdtempSync, rmSync } = fs;
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { startApiServer } = require(path.join(root, 'apps/api/dist/server'));
const { loadConfig } = require(path.join(root, 'apps/api/dist/config/app-config'));
const store = require(path.join(root, 'libs/store/dist'));
const { Pool } = require('pg');

/** `--name value` options from the command line, with `--help` printing `usage`. */
function options(usage) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  return { opt, flag: (name) => args.includes(`--${name}`) };
}

/** An API server on a fresh database (dropped by `close()`), with a random admin token. */
async function startBenchServer(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/berth_${name}_${Date.now().toString(36)}`;
  const dbUrl = url.toString();
  await store.ensureDatabase(dbUrl);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
  const token = `bench-${randomBytes(8).toString('hex')}`;
  const server = await startApiServer({
    ...loadConfig({}),
    databaseUrl: dbUrl,
    port: 0,
    host: '127.0.0.1',
    httpPort: 0,
    dataDir,
    adminToken: token,
    logLevel: 'error',
  });
  return {
    base: server.httpUrl,
    dbUrl,
    token,
    async close() {
      await server.close();
      await store.dropDatabase(dbUrl);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A keep-alive JSON client; rejects on any non-2xx answer. */
function httpClient(base, token, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const call = (method, urlPath, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        `${base}${urlPath}`,
        {
          method,
          agent,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode >= 300)
              reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text}`));
            else resolve(text ? JSON.parse(text) : {});
          });
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  return { call, close: () => agent.destroy() };
}

/** Runs `fn(i)` for i < n with `clients` in flight. */
async function parallel(n, clients, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await fn(i);
      }
    }),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits for `check()` to return something truthy, polling, or throws after `ms`. */
async function waitFor(what, ms, check, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/**
 * A watch of the list at `listPath` (e.g. `/api/v1/namespaces/ns/pods`) from `rv`, reopened
 * from the last resourceVersion if the server ends it. `onEvent(event, at)` gets the time
 * (performance.now()) the chunk arrived, before parsing; bookmarks and ERROR events are
 * not passed on (the errors are kept in `state.errors`).
 */
function watch(base, token, listPath, rv, onEvent) {
  let req;
  let closed = false;
  let lastRv = rv;
  const state = { reopened: 0, errors: [] };
  const reopen = (why) => {
    if (closed) return;
    state.reopened++;
    if (why) state.errors.push(why);
    setTimeout(open, 200);
  };
  const open = () => {
    if (closed) return;
    req = http.get(
      `${base}${listPath}?watch=true&allowWatchBookmarks=true&resourceVersion=${lastRv}`,
      { headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reopen(`watch answered ${res.statusCode}`);
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          const at = performance.now();
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            let ev;
            try {
              ev = JSON.parse(line);
            } catch {
              state.errors.push(`unparsable watch line: ${line.slice(0, 80)}`);
              continue;
            }
            if (ev.type === 'ERROR') {
              state.errors.push(ev.object?.message ?? 'watch ERROR event');
              continue;
            }
            const rvNow = ev.object?.metadata?.resourceVersion;
            if (rvNow) lastRv = rvNow;
            if (ev.type !== 'BOOKMARK') onEvent(ev, at);
          }
        });
        res.on('end', () => reopen());
        res.on('error', () => {});
      },
    );
    req.on('error', (err) => reopen(err.message));
  };
  open();
  return {
    state,
    close() {
      closed = true;
      req?.destroy();
    },
  };
}

/**
 * A built app (`apps/<app>/dist/main.js`) as a child process, its output appended to
 * `logFile`; `nodeArgs` go to node (e.g. `--cpu-prof`).
 */
function spawnApp(app, args, env, logFile, nodeArgs = []) {
  const out = fs.openSync(logFile, 'a');
  const main = path.join(root, `apps/${app}/dist/main.js`);
  const child = spawn(process.execPath, [...nodeArgs, main, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. */
async function stopChild(child, graceMs = 12_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/**
 * The raw ceiling: single-row INSERTs of `doc` (a JSON document) into a table of its own on
 * `dbUrl`, `ops` of them with `concurrency` in flight; answers ops/s and the p50/p99 latency.
 */
async function pgInsertCeiling(dbUrl, ops, concurrency, doc = { kind: 'Bench' }) {
  const pool = new Pool(store.poolConfig(dbUrl, concurrency + 2));
  const table = `bench_insert_${randomBytes(4).toString('hex')}`;
  const text = JSON.stringify(doc);
  const lat = new Array(ops);
  try {
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, doc jsonb NOT NULL)`);
    const t0 = performance.now();
    await parallel(ops, concurrency, async (i) => {
      const t = performance.now();
      await pool.query(`INSERT INTO ${table} (id, doc) VALUES ($1, $2)`, [i, text]);
      lat[i] = performance.now() - t;
    });
    const seconds = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    return { ops, concurrency, perSec: ops / seconds, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99) };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
  }
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

module.exports = {
  root,
  store,
  options,
  startBenchServer,
  httpClient,
  parallel,
  pct,
  sleep,
  waitFor,
  watch,
  spawnApp,
  stopChild,
  pgInsertCeiling,
};
