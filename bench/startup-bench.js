#!/usr/bin/env node
// Pod startup latency benchmark (issue 5; Kubernetes' SLO: p99 ≤ 5 s). Latency is
// client-observed: from the moment the create request is sent to the moment a watch on the
// namespace's pods (opened before the run) shows the pod with status.phase Running.
//
// Everything runs as real processes on a fresh database and Redis key prefix: the API
// server, a worker (scheduler + controllers), and node agents that register with a
// bootstrap token. Pods are created open loop, at a fixed arrival rate whatever the
// answers' speed, bare (no Deployment), each with its own name and small requests.
//
//   1. `process` runtime: 2 agents (`--runtime process`), pods that run
//      `node -e "setInterval(()=>{},1e9)" <marker>`, at 5 and 10 pods/s, 100 pods per rate;
//      after each rate every pod is deleted, the agents must have stopped every process
//      (none left with the marker in its arguments) and the pods are gone.
//   2. `simulated` runtime: 1,000 hollow nodes in 2 agent processes (`--simulated-nodes`),
//      at 20, 50 and 100 pods/s for 30 s per rate (pods are kept between rates).
//   3. The raw ceiling, measured in the same run (before and after): PostgreSQL single-row
//      INSERT latency and throughput, and the Redis round trip.
//
//   npm run bench:startup                      (builds first; ~5 minutes)
//   node bench/startup-bench.js --quick        (~1 minute)
//
// Not part of `npm test`. Prints a table, and writes the JSON to bench/results/ (not
// committed).
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Pool } = require('pg');
const Redis = require('ioredis');
const { root, store, options, httpClient, parallel, pct, sleep, waitFor, watch } = require('./lib');

const USAGE = `usage: node bench/startup-bench.js [options]

Pod startup latency (create request sent → Running seen through a watch), open loop.

  --quick                   ~1 minute: 200 hollow nodes in 1 agent, 5 s per rate,
                            20 process pods per rate, a 20 s deadline, ceilings with
                            fewer operations
  --nodes N                 hollow (simulated) nodes (default 1000)
  --agents N                hollow agent processes sharing those nodes (default 2)
  --rates 20,50,100         simulated-runtime arrival rates, pods/s
  --duration S              seconds of arrivals per simulated rate (default 30)
  --pods N                  pods per simulated rate instead of --duration
  --process-rates 5,10      process-runtime arrival rates, pods/s
  --process-pods N          pods per process rate (default 100)
  --deadline S              a pod not Running this long after its create is counted as
                            never Running; the wait after the last create (default 30)
  --sim-start-delay MS      the simulated runtime's container start delay (agent default 100)
  --heartbeat-interval MS   agents' Lease renewal period (agent default 10000); the worker's
                            node grace period becomes 4 × this (default 40 s)
  --workers N               worker processes (default 1)
  --skip-process            only the simulated runtime
  --skip-simulated          only the process runtime
  --out FILE                JSON results (default bench/results/startup-<date>.json)
  --database-url URL        PostgreSQL server (default $DATABASE_URL or postgresql://postgres@127.0.0.1:5432/postgres)
  --redis-url URL           Redis (default $REDIS_URL or redis://127.0.0.1:6379)
  --keep-logs               keep the processes' logs (their directory is printed)
  --quota                   give the simulated namespace a ResourceQuota (pods, cpu,
                            memory), so that every create is charged to it
  --keep-database           do not drop the run's database at the end (its name is printed)
  --cpu-prof DIR            write a V8 CPU profile of every process to DIR (open in
                            Chrome's DevTools or speedscope)
  --help                    this text`;

const { opt, flag } = options(USAGE);
const QUICK = flag('quick');
const list = (s) => s.split(',').filter(Boolean).map(Number);
const NODES = Number(opt('nodes', QUICK ? '200' : '1000'));
const AGENTS = Math.max(1, Math.min(NODES, Number(opt('agents', QUICK ? '1' : '2'))));
const RATES = list(opt('rates', '20,50,100'));
const DURATION_S = Number(opt('duration', QUICK ? '5' : '30'));
const PODS_PER_RATE = opt('pods', undefined);
const PROCESS_RATES = list(opt('process-rates', '5,10'));
const PROCESS_PODS = Number(opt('process-pods', QUICK ? '20' : '100'));
const DEADLINE_MS = Number(opt('deadline', QUICK ? '20' : '30')) * 1000;
const SIM_START_DELAY = opt('sim-start-delay', undefined);
const HEARTBEAT = opt('heartbeat-interval', undefined);
const WORKERS = Number(opt('workers', '1'));
const SKIP_PROCESS = flag('skip-process');
const SKIP_SIMULATED = flag('skip-simulated');
const KEEP_LOGS = flag('keep-logs');
const CPU_PROF = opt('cpu-prof', undefined);
const KEEP_DATABASE = flag('keep-database');
const QUOTA = flag('quota');
const SERVER_URL = opt(
  'database-url',
  process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
);
const REDIS_URL = opt('redis-url', process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const RUN_ID = randomBytes(3).toString('hex');
const PREFIX = `berth-startup-${RUN_ID}`;
const MARKER = `berth-startup-bench-${RUN_ID}`;
const OUT =
  opt('out', undefined) ||
  path.join(
    root,
    'bench/results',
    `startup-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}Z.json`,
  );

/** `promise`, or `fallback` once `ms` passed (the bench's client has no timeout of its own). */
const within = (ms, promise, fallback) => Promise.race([promise, sleep(ms).then(() => fallback)]);
const now = () => performance.now();
const log = (msg) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}  (load ${loadavg()})`);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---- processes: every child is kept here and stopped at the end, even on error ----------

const children = [];
/** Set once the clean-up began: nothing new is started after it. */
let stopping = false;

function start(name, script, args, env, logDir) {
  if (stopping) throw new Error(`not starting ${name}: the run is stopping`);
  const logFile = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const nodeArgs = CPU_PROF
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${path.resolve(CPU_PROF)}`,
        `--cpu-prof-name=${name}.cpuprofile`,
      ]
    : [];
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const entry = { name, child, logFile, exited: false };
  child.on('exit', (code, signal) => {
    entry.exited = true;
    entry.exit = signal ?? code;
  });
  children.push(entry);
  return entry;
}

async function stop(entry, graceMs = 12_000) {
  if (entry.exited) return;
  const gone = new Promise((r) => entry.child.once('exit', r));
  entry.child.kill('SIGTERM');
  const t = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Error-level lines an agent logged (JSON lines), grouped by message. */
function agentErrors(entries) {
  const counts = {};
  for (const e of entries) {
    let text = '';
    try {
      text = fs.readFileSync(e.logFile, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"error"')) continue;
      try {
        const j = JSON.parse(line);
        if (j.level !== 'error') continue;
        const key = `${j.msg ?? j.message}: ${String(j.error ?? '').slice(0, 120)}`.replace(
          /hollow-\d+-\d+|(sim|proc)-r\d+-\d+/g,
          '*',
        );
        counts[key] = (counts[key] ?? 0) + 1;
      } catch {
        // not JSON
      }
    }
  }
  return counts;
}

/** Every process id in /proc ([] where there is no /proc). */
function procPids() {
  try {
    return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
}

/** PIDs of processes whose arguments contain `marker` (Linux /proc; [] elsewhere). */
function markedProcesses(marker) {
  const found = [];
  for (const pid of procPids()) {
    if (Number(pid) === process.pid) continue;
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU seconds (user + system) of a process from /proc/<pid>/stat; 0 when unreadable. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return 0;
  }
}

/**
 * Seconds a process's threads spent runnable but waiting for a CPU (/proc/<pid>/task/<tid>/
 * schedstat, second field): on a shared machine, the time the run was starved by others.
 */
function runQueueSeconds(pid) {
  let total = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(
          fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1],
        );
      } catch {
        // the thread ended
      }
    }
  } catch {
    return 0;
  }
  return total / 1e9;
}

/** CPU seconds so far of the bench, each child and every PostgreSQL/Redis process. */
function cpuSnapshot() {
  const snap = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const c of children)
    if (!c.exited) {
      snap[c.name] = cpuSeconds(c.child.pid);
      snap[`${c.name} waiting`] = runQueueSeconds(c.child.pid);
    }
  snap['bench waiting'] = runQueueSeconds(process.pid);
  for (const pid of procPids()) {
    let comm;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const key = comm === 'postgres' ? 'postgres (all)' : comm.startsWith('redis') ? 'redis' : '';
    // Per PID: PostgreSQL backends come and go between two snapshots.
    if (key) snap[`${key}/${pid}`] = cpuSeconds(pid);
  }
  return snap;
}

/**
 * Per process: share of one core used between two snapshots, in percent; `<name> waiting`:
 * time its threads were runnable but got no CPU, in percent of the wall time.
 */
function cpuPercent(before, after, seconds) {
  const used = {};
  for (const [k, v] of Object.entries(after)) {
    const slash = k.lastIndexOf('/');
    if (slash > 0) {
      // A PostgreSQL or Redis process: what it used since the first snapshot (or its start).
      const name = k.slice(0, slash);
      used[name] = (used[name] ?? 0) + v - (before[k] ?? 0);
    } else if (k in before) used[k] = v - before[k];
  }
  const out = {};
  for (const [k, v] of Object.entries(used)) out[k] = Math.round((100 * v) / seconds);
  return out;
}

// ---- the ceiling: raw PostgreSQL and Redis in the same run --------------------------------

async function timed(ops, concurrency, fn) {
  const lat = new Array(ops);
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= ops) return;
        const t = now();
        await fn(i);
        lat[i] = now() - t;
      }
    }),
  );
  const seconds = (now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { ops, concurrency, perSec: ops / seconds, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99) };
}

async function ceilings(dbUrl, label) {
  const n = QUICK ? 500 : 2000;
  const pool = new Pool(store.poolConfig(dbUrl, 10));
  const table = `bench_startup_${label}`;
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, doc jsonb NOT NULL)`);
  const doc = JSON.stringify(simulatedPod('raw-insert-document-of-a-pod'));
  const pgSeq = await timed(n, 1, (i) =>
    pool.query(`INSERT INTO ${table} (id, doc) VALUES ($1, $2)`, [`s${i}`, doc]),
  );
  const pgPar = await timed(n * 2, 8, (i) =>
    pool.query(`INSERT INTO ${table} (id, doc) VALUES ($1, $2)`, [`p${i}`, doc]),
  );
  await pool.query(`DROP TABLE ${table}`);
  await pool.end();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const key = `${PREFIX}:bench:${label}`;
  const redisPing = await timed(n, 1, () => redis.ping());
  const redisSet = await timed(n * 4, 16, (i) => redis.set(`${key}:${i % 100}`, doc));
  const keys = Array.from({ length: 100 }, (_, i) => `${key}:${i}`);
  await redis.del(...keys);
  redis.disconnect();
  return { label, loadavg: os.loadavg(), pgSeq, pgPar, redisPing, redisSet };
}

// ---- the API server, a worker, agents ----------------------------------------------------

async function startApi(dbUrl, token, dataDir, logDir) {
  const port = await freePort();
  const entry = start(
    'api',
    'apps/api/dist/main.js',
    [],
    {
      DATABASE_URL: dbUrl,
      PORT: '0',
      BERTH_HOST: '127.0.0.1',
      BERTH_HTTP_PORT: String(port),
      BERTH_DATA_DIR: dataDir,
      BERTH_ADMIN_TOKEN: token,
      BERTH_QUEUE_PREFIX: PREFIX,
      REDIS_URL,
      BERTH_LOG_LEVEL: 'warn',
    },
    logDir,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the API server to be ready', 90_000, async () => {
    if (entry.exited)
      throw new Error(`the API server exited (${entry.exit}):\n${tail(entry.logFile)}`);
    try {
      return (await fetch(`${base}/readyz`)).ok;
    } catch {
      return false;
    }
  });
  return base;
}

function startWorkers(dbUrl, logDir) {
  return Array.from({ length: WORKERS }, (_, i) =>
    start(
      `worker-${i}`,
      'apps/worker/dist/main.js',
      [],
      {
        DATABASE_URL: dbUrl,
        REDIS_URL,
        BERTH_QUEUE_PREFIX: PREFIX,
        BERTH_WORKER_ID: `startup-bench-${i}`,
        // Kubernetes' ratio: a node is unreachable after 4 missed Lease renewals (40 s / 10 s).
        ...(HEARTBEAT
          ? { BERTH_NODE_GRACE_PERIOD_MS: String(Math.max(40_000, 4 * Number(HEARTBEAT))) }
          : {}),
        BERTH_LOG_LEVEL: 'warn',
      },
      logDir,
    ),
  );
}

/** Whether this build's agent takes `--kubelet-port` (its log server; 0: any free port). */
let kubeletPortFlag;
function agentArgs(extra) {
  kubeletPortFlag ??= execFileSync(
    process.execPath,
    [path.join(root, 'apps/agent/dist/main.js'), '--help'],
    {
      encoding: 'utf8',
    },
  ).includes('--kubelet-port');
  return [
    ...extra,
    ...(kubeletPortFlag ? ['--kubelet-port', '0'] : []),
    ...(HEARTBEAT ? ['--heartbeat-interval', HEARTBEAT] : []),
    '--node-ip',
    '127.0.0.1',
    '--log-level',
    'warn',
  ];
}

// ---- pods and the watch --------------------------------------------------------------------

function simulatedPod(name) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'startup-bench' } },
    spec: {
      nodeSelector: { 'berth.dev/hollow': 'true' },
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

function processPod(name) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'startup-bench' } },
    spec: {
      nodeSelector: { 'berth.dev/bench-runtime': 'process' },
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'main',
          image: 'node',
          // The marker is an argument: leftovers are found in the process table.
          command: [process.execPath, '-e', 'setInterval(()=>{},1e9)', MARKER],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

/** A watch of one namespace's pods from `rv` (lib.js `watch`). */
const watchPods = (base, token, namespace, rv, onEvent) =>
  watch(base, token, `/api/v1/namespaces/${namespace}/pods`, rv, onEvent);

/** Times per pod name: sent, created, bound (spec.nodeName seen), running, deleted. */
class PodClock {
  constructor() {
    this.pods = new Map();
  }
  get(name) {
    let p = this.pods.get(name);
    if (!p) this.pods.set(name, (p = {}));
    return p;
  }
  onEvent(ev, at) {
    const name = ev.object?.metadata?.name;
    if (!name) return;
    const p = this.get(name);
    if (ev.type === 'DELETED') {
      p.deletedAt ??= at;
      return;
    }
    if (p.boundAt === undefined && ev.object.spec?.nodeName) p.boundAt = at;
    if (p.runningAt === undefined && ev.object.status?.phase === 'Running') p.runningAt = at;
  }
}

/**
 * Creates `count` pods at `rate` per second (open loop: each send is due at i / rate,
 * whatever the earlier answers did), then waits until all are Running or the deadline.
 */
async function openLoop({ client, clock, namespace, rate, count, makePod, namePrefix }) {
  const names = Array.from(
    { length: count },
    (_, i) => `${namePrefix}-${String(i).padStart(5, '0')}`,
  );
  const pending = [];
  const lags = [];
  let createErrors = 0;
  let firstError;
  const cpuBefore = cpuSnapshot();
  const t0 = now();
  for (let i = 0; i < count && !stopping; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    const p = clock.get(names[i]);
    p.sentAt = now();
    lags.push(p.sentAt - due);
    pending.push(
      client.call('POST', `/api/v1/namespaces/${namespace}/pods`, makePod(names[i])).then(
        () => {
          p.createdAt = now();
        },
        (err) => {
          p.failed = true;
          createErrors++;
          firstError ??= err.message.slice(0, 300);
        },
      ),
    );
  }
  const lastSent = now();
  const deadline = lastSent + DEADLINE_MS;
  // A create still unanswered at the deadline does not hold the run up (counted below).
  await Promise.race([Promise.all(pending), sleep(DEADLINE_MS)]);
  const createsDone = now();
  while (
    now() < deadline &&
    names.some((n) => !clock.get(n).failed && clock.get(n).runningAt === undefined)
  )
    await sleep(100);
  const cpu = cpuPercent(cpuBefore, cpuSnapshot(), (now() - t0) / 1000);
  const pods = names.map((n) => clock.get(n));
  const ok = pods.filter((p) => !p.failed);
  const latency = ok
    .map((p) =>
      p.runningAt !== undefined && p.runningAt - p.sentAt <= DEADLINE_MS
        ? p.runningAt - p.sentAt
        : Infinity,
    )
    .sort((a, b) => a - b);
  const bind = ok
    .filter((p) => p.boundAt !== undefined)
    .map((p) => p.boundAt - p.sentAt)
    .sort((a, b) => a - b);
  const boundToRunning = ok
    .filter((p) => p.boundAt !== undefined && p.runningAt !== undefined)
    .map((p) => p.runningAt - p.boundAt)
    .sort((a, b) => a - b);
  const createLat = ok
    .filter((p) => p.createdAt !== undefined)
    .map((p) => p.createdAt - p.sentAt)
    .sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const ms = (v) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
  // Percentiles of nothing (no pod got that far) are null, printed "—".
  const q = (sorted, p) => (sorted.length ? pct(sorted, p) : NaN);
  return {
    names,
    result: {
      targetRate: rate,
      pods: count,
      achievedCreateRate: count > 1 ? ((count - 1) * 1000) / (lastSent - t0) : count,
      createdPerSec: createLat.length / ((createsDone - t0) / 1000),
      created: createLat.length,
      createErrors,
      createsUnanswered: ok.length - createLat.length,
      ...(firstError ? { firstCreateError: firstError } : {}),
      running: latency.filter(Number.isFinite).length,
      notRunningWithinDeadline: latency.filter((v) => !Number.isFinite(v)).length,
      deadlineSeconds: DEADLINE_MS / 1000,
      p50Ms: ms(pct(latency, 50)),
      p90Ms: ms(pct(latency, 90)),
      p99Ms: ms(pct(latency, 99)),
      maxMs: ms(latency[latency.length - 1]),
      createRequestP50Ms: ms(q(createLat, 50)),
      createRequestP99Ms: ms(q(createLat, 99)),
      sendToBoundP50Ms: ms(q(bind, 50)),
      sendToBoundP99Ms: ms(q(bind, 99)),
      boundToRunningP50Ms: ms(q(boundToRunning, 50)),
      boundToRunningP99Ms: ms(q(boundToRunning, 99)),
      sendLagP99Ms: ms(pct(lags, 99)),
      loadavgAfter: os.loadavg(),
      cpuPercentOfOneCore: cpu,
    },
  };
}

// ---- the two runtimes ------------------------------------------------------------------------

async function processPhase(ctx) {
  const { client, base, token, logDir, tmp, bootstrapToken } = ctx;
  const ns = 'bench-process';
  await client.call('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  const agents = ['a', 'b'].map((x) =>
    start(
      `agent-process-${x}`,
      'apps/agent/dist/main.js',
      agentArgs([
        '--api-url',
        base,
        '--runtime',
        'process',
        '--node-name',
        `proc-${RUN_ID}-${x}`,
        '--labels',
        'berth.dev/bench-runtime=process',
        '--data-dir',
        path.join(tmp, `agent-process-${x}`),
      ]),
      // In the environment, not on a command line every pod can read in /proc.
      { BERTH_BOOTSTRAP_TOKEN: bootstrapToken },
      logDir,
    ),
  );
  ctx.processAgents = agents;
  const up = await waitNodesReady(client, 'berth.dev/bench-runtime=process', 2, agents, 60_000);
  if (up.ready < 2) throw new Error(`only ${up.ready}/2 process-runtime nodes became Ready`);
  log(`2 process-runtime nodes Ready in ${up.seconds.toFixed(1)} s`);
  const rv = (await client.call('GET', `/api/v1/namespaces/${ns}/pods?limit=1`)).metadata
    .resourceVersion;
  const clock = new PodClock();
  const watch = watchPods(base, token, ns, rv, (ev, at) => clock.onEvent(ev, at));
  const results = [];
  try {
    for (const rate of PROCESS_RATES) {
      log(`process runtime: ${PROCESS_PODS} pods at ${rate}/s`);
      const { names, result } = await openLoop({
        client,
        clock,
        namespace: ns,
        rate,
        count: PROCESS_PODS,
        makePod: processPod,
        namePrefix: `proc-r${rate}`,
      });
      result.processesRunning = markedProcesses(MARKER).length;
      // Clean-up: delete every pod; the agents stop the processes and delete the pods.
      const t = now();
      await parallel(names.length, 16, async (i) => {
        const p = clock.get(names[i]);
        if (p.failed) return;
        p.deleteSentAt = now();
        await within(
          30_000,
          client.call('DELETE', `/api/v1/namespaces/${ns}/pods/${names[i]}`).catch(() => {}),
        );
      });
      await waitFor('every process pod gone', 90_000, async () => {
        const pods = await within(
          10_000,
          client.call('GET', `/api/v1/namespaces/${ns}/pods`).catch(() => null),
          null,
        );
        return pods?.items.length === 0;
      }).catch((err) => {
        result.cleanupError = err.message;
      });
      const teardown = names
        .map((n) => clock.get(n))
        .filter((p) => p.deletedAt !== undefined && p.deleteSentAt !== undefined)
        .map((p) => p.deletedAt - p.deleteSentAt)
        .sort((a, b) => a - b);
      result.cleanupSeconds = (now() - t) / 1000;
      result.deleteToGoneP50Ms = Math.round(pct(teardown, 50));
      result.deleteToGoneP99Ms = Math.round(pct(teardown, 99));
      // The pods are gone from the API: not one of their processes may be left.
      const left = await waitFor('no marked process left', 10_000, () => {
        const pids = markedProcesses(MARKER);
        return pids.length === 0 ? [] : null;
      }).catch(() => markedProcesses(MARKER));
      result.leftoverProcesses = left.length;
      if (left.length) killMarked(left);
      results.push(result);
      log(
        `  p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; cleaned up in ${result.cleanupSeconds.toFixed(1)} s, ${left.length} process(es) left`,
      );
    }
  } finally {
    watch.close();
    ctx.processWatch = watch.state;
    ctx.processAgentErrors = agentErrors(agents);
    await Promise.all(agents.map((a) => stop(a)));
    for (const x of ['a', 'b'])
      await within(
        10_000,
        client.call('DELETE', `/api/v1/nodes/proc-${RUN_ID}-${x}`).catch(() => {}),
      );
  }
  return results;
}

function killMarked(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Ready nodes matching `selector`, -1 when the API gave no answer. */
async function readyNodes(client, selector) {
  // An overloaded API may answer 5xx or nothing for a while: the caller polls again.
  const nodes = await within(
    10_000,
    client
      .call('GET', `/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`)
      .catch(() => null),
    null,
  );
  if (!nodes) return -1;
  return nodes.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

/** Waits until `count` nodes are Ready (or `ms` passed); returns how many were and when. */
async function waitNodesReady(client, selector, count, agents, ms) {
  const t = now();
  let ready = 0;
  while (now() - t < ms) {
    for (const a of agents)
      if (a.exited) throw new Error(`${a.name} exited (${a.exit}):\n${tail(a.logFile)}`);
    ready = Math.max(ready, await readyNodes(client, selector));
    if (ready >= count) break;
    await sleep(1000);
  }
  return { ready, seconds: (now() - t) / 1000 };
}

async function simulatedPhase(ctx) {
  const { client, base, token, logDir, tmp, bootstrapToken } = ctx;
  const ns = 'bench-sim';
  await client.call('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  if (QUOTA)
    // Far more than the run uses: the point is the charging on every create, not refusals.
    await client.call('POST', `/api/v1/namespaces/${ns}/resourcequotas`, {
      metadata: { name: 'bench' },
      spec: { hard: { pods: '1000000', 'requests.cpu': '100000', 'requests.memory': '100Ti' } },
    });
  // The agent processes start one after the other, each once the previous one's nodes are
  // Ready (kubemark ramps hollow nodes up too): 500 nodes registering at once are a herd.
  const agents = [];
  ctx.hollowAgents = agents;
  const t = now();
  let ready = 0;
  let expected = 0;
  for (let a = 0; a < AGENTS; a++) {
    const n = Math.floor(NODES / AGENTS) + (a < NODES % AGENTS ? 1 : 0);
    expected += n;
    agents.push(
      start(
        `agent-hollow-${a}`,
        'apps/agent/dist/main.js',
        agentArgs([
          '--api-url',
          base,
          '--simulated-nodes',
          String(n),
          '--node-name',
          `hollow-${a}`,
          '--cpu',
          '8',
          '--memory',
          '32Gi',
          '--pods',
          '110',
          ...(SIM_START_DELAY ? ['--sim-start-delay', SIM_START_DELAY] : []),
          '--data-dir',
          path.join(tmp, `agent-hollow-${a}`),
        ]),
        { BERTH_BOOTSTRAP_TOKEN: bootstrapToken },
        logDir,
      ),
    );
    ({ ready } = await waitNodesReady(
      client,
      'berth.dev/hollow=true',
      expected,
      agents,
      Math.max(60_000, n * 150),
    ));
    log(`${ready}/${expected} hollow nodes Ready after ${((now() - t) / 1000).toFixed(1)} s`);
  }
  const readySeconds = (now() - t) / 1000;
  if (ready < NODES * 0.95) {
    // The cluster did not come up: pods sent now would measure nothing but the collapse.
    log(`only ${ready}/${NODES} hollow nodes became Ready: the pod rates are not run`);
    ctx.hollowAgentErrors = agentErrors(agents);
    return {
      nodes: NODES,
      agents: AGENTS,
      nodesReady: ready,
      nodesReadySeconds: readySeconds,
      notMeasured: `only ${ready}/${NODES} hollow nodes became Ready`,
      results: [],
    };
  }
  // What the idle nodes cost (Lease renewals, watches) before any pod arrives.
  const idleSeconds = QUICK ? 5 : 10;
  const idleBefore = cpuSnapshot();
  await sleep(idleSeconds * 1000);
  const idleCpu = cpuPercent(idleBefore, cpuSnapshot(), idleSeconds);
  log(`idle, ${NODES} nodes: CPU % ${cpuText(idleCpu)}`);
  const rv = (await client.call('GET', `/api/v1/namespaces/${ns}/pods?limit=1`)).metadata
    .resourceVersion;
  const clock = new PodClock();
  const watch = watchPods(base, token, ns, rv, (ev, at) => clock.onEvent(ev, at));
  const results = [];
  try {
    for (const rate of RATES) {
      const count = PODS_PER_RATE ? Number(PODS_PER_RATE) : Math.round(rate * DURATION_S);
      log(`simulated runtime: ${count} pods at ${rate}/s`);
      const { result } = await openLoop({
        client,
        clock,
        namespace: ns,
        rate,
        count,
        makePod: simulatedPod,
        namePrefix: `sim-r${rate}`,
      });
      results.push(result);
      log(
        `  p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.notRunningWithinDeadline} not Running; CPU % ${cpuText(result.cpuPercentOfOneCore)}`,
      );
      await sleep(1000);
    }
  } finally {
    watch.close();
    ctx.simWatch = watch.state;
    ctx.hollowAgentErrors = agentErrors(agents);
    // -1: the API did not answer.
    ctx.nodesStillReady = await readyNodes(client, 'berth.dev/hollow=true');
  }
  return {
    nodes: NODES,
    agents: AGENTS,
    nodesReady: ready,
    nodesReadySeconds: readySeconds,
    idleCpuPercentOfOneCore: idleCpu,
    results,
  };
}

// ---- the run ---------------------------------------------------------------------------------

function printTable(title, rows, extra = []) {
  const f = (v, w) => String(v ?? '—').padStart(w);
  const sec = (v) => (v === null ? `>${DEADLINE_MS / 1000}s` : (v / 1000).toFixed(2));
  console.log(`\n${title}`);
  if (rows.some((r) => r.createsUnanswered))
    console.log('  (errors: failed creates + "N?" creates still unanswered at the deadline)');
  console.log(
    '  rate/s  sent/s   pods  errors  not-run   p50 s   p90 s   p99 s   max s   create p99 ms  bound p99 s  ' +
      extra.map((e) => e[0]).join('  '),
  );
  for (const r of rows) {
    console.log(
      `  ${f(r.targetRate, 6)} ${f(r.achievedCreateRate.toFixed(1), 7)} ${f(r.pods, 6)} ${f(r.createErrors + (r.createsUnanswered ? `+${r.createsUnanswered}?` : ''), 7)} ${f(r.notRunningWithinDeadline, 8)} ${f(sec(r.p50Ms), 7)} ${f(sec(r.p90Ms), 7)} ${f(sec(r.p99Ms), 7)} ${f(sec(r.maxMs), 7)} ${f(r.createRequestP99Ms?.toFixed(0), 14)} ${f(r.sendToBoundP99Ms === null ? '—' : (r.sendToBoundP99Ms / 1000).toFixed(2), 12)}  ` +
        extra.map(([h, fn]) => f(fn(r), h.length)).join('  '),
    );
  }
  console.log(
    '  CPU per rate, % of one core (first create → all Running or the deadline); in brackets: % of the time runnable but waiting for a CPU',
  );
  for (const r of rows) console.log(`  ${f(r.targetRate, 6)}  ${cpuText(r.cpuPercentOfOneCore)}`);
}

function cpuText(cpu) {
  return Object.entries(cpu)
    .filter(([k]) => !k.endsWith(' waiting'))
    .map(([k, v]) => `${k} ${v}${`${k} waiting` in cpu ? ` [${cpu[`${k} waiting`]}]` : ''}`)
    .join(', ');
}

function printCeiling(c) {
  const row = (what, m) =>
    `  ${what.padEnd(34)} ${m.perSec.toFixed(0).padStart(7)}/s   p50 ${m.p50Ms.toFixed(2).padStart(6)} ms   p99 ${m.p99Ms.toFixed(2).padStart(6)} ms`;
  console.log(
    `\nRaw ceiling (${c.label} the run, load ${c.loadavg.map((l) => l.toFixed(1)).join(' ')})`,
  );
  console.log(row('PostgreSQL INSERT, 1 client', c.pgSeq));
  console.log(row('PostgreSQL INSERT, 8 clients', c.pgPar));
  console.log(row('Redis PING round trip, 1 client', c.redisPing));
  console.log(row('Redis SET, 16 clients', c.redisSet));
}

(async () => {
  const started = Date.now();
  const url = new URL(SERVER_URL);
  url.pathname = `/berth_startup_${Date.now().toString(36)}`;
  const dbUrl = url.toString();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-startup-bench-'));
  const logDir = path.join(tmp, 'logs');
  fs.mkdirSync(logDir);
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const ctx = { token, logDir, tmp };
  const out = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadavgAtStart: os.loadavg(),
    },
    options: {
      quick: QUICK,
      nodes: NODES,
      agents: AGENTS,
      rates: RATES,
      durationSeconds: PODS_PER_RATE ? undefined : DURATION_S,
      podsPerRate: PODS_PER_RATE ? Number(PODS_PER_RATE) : undefined,
      processRates: PROCESS_RATES,
      processPods: PROCESS_PODS,
      deadlineSeconds: DEADLINE_MS / 1000,
      workers: WORKERS,
      simStartDelayMs: SIM_START_DELAY ? Number(SIM_START_DELAY) : 100,
      heartbeatIntervalMs: HEARTBEAT ? Number(HEARTBEAT) : 10_000,
      quota: QUOTA,
    },
    ceiling: [],
  };
  let failed;
  let dbCreated = false;
  let client;
  // Stops everything this run started, once: from the end of the run, an error or a signal.
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      // Agents first (their pods are gone or hollow), then the worker and the API; then any
      // process that still carries the marker.
      stopping = true;
      const agents = children.filter((c) => c.name.startsWith('agent'));
      await Promise.all(agents.map((a) => stop(a)));
      await Promise.all(children.filter((c) => c.name.startsWith('worker')).map((w) => stop(w)));
      await Promise.all(children.map((c) => stop(c)));
      client?.close();
      // The ceiling again, on the machine as the run leaves it (the bench's processes stopped).
      if (!failed && dbCreated)
        await ceilings(dbUrl, 'after').then(
          (c) => out.ceiling.push(c),
          (err) => (failed = err),
        );
      const left = markedProcesses(MARKER);
      if (left.length) {
        out.leftoverProcessesAtEnd = left.length;
        killMarked(left);
      }
      if (dbCreated && KEEP_DATABASE) console.log(`database kept: ${dbUrl}`);
      else if (dbCreated)
        await store
          .dropDatabase(dbUrl)
          .catch((err) => console.error(`drop database: ${err.message}`));
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } catch (err) {
        console.error(`redis clean-up: ${err.message}`);
      } finally {
        redis.disconnect();
      }
      if (failed)
        for (const c of children)
          console.error(`--- ${c.name} (${c.logFile}):\n${tail(c.logFile)}`);
      if (!KEEP_LOGS) fs.rmSync(tmp, { recursive: true, force: true });
      else console.log(`logs kept in ${logDir}`);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      console.error(`\n${signal}: stopping every process this run started`);
      failed ??= new Error(`interrupted by ${signal}`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    log(`startup bench ${RUN_ID}: database ${url.pathname.slice(1)}, Redis prefix ${PREFIX}`);
    await store.ensureDatabase(dbUrl);
    dbCreated = true;
    out.ceiling.push(await ceilings(dbUrl, 'before'));
    log('ceiling measured');
    const base = await startApi(dbUrl, token, path.join(tmp, 'api'), logDir);
    ctx.base = base;
    client = httpClient(base, token, 256);
    ctx.client = client;
    ctx.workers = startWorkers(dbUrl, logDir);
    ctx.bootstrapToken = (await client.call('POST', '/auth/bootstrap-tokens', {})).token;
    log(`API server at ${base}, ${WORKERS} worker(s)`);
    if (!SKIP_PROCESS) out.process = { nodes: 2, results: await processPhase(ctx) };
    if (!SKIP_SIMULATED) out.simulated = await simulatedPhase(ctx);
  } catch (err) {
    failed = err;
  } finally {
    await cleanup();
  }
  if (failed) throw failed;

  out.seconds = (Date.now() - started) / 1000;
  out.processWatch = ctx.processWatch;
  out.simulatedWatch = ctx.simWatch;
  out.processAgentErrors = ctx.processAgentErrors;
  out.hollowAgentErrors = ctx.hollowAgentErrors;
  out.hollowNodesStillReady = ctx.nodesStillReady;
  console.log(
    `\nBerth pod startup latency (create sent → Running seen through a watch), open loop — ${out.machine.cpus} CPUs, node ${process.version}, load at start ${out.machine.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')}; Kubernetes SLO: p99 ≤ 5 s`,
  );
  if (out.process)
    printTable(
      `process runtime, 2 nodes, ${PROCESS_PODS} pods per rate (each a real node process)`,
      out.process.results,
      [
        ['procs seen', (r) => r.processesRunning],
        ['cleanup s', (r) => r.cleanupSeconds.toFixed(1)],
        ['delete→gone p99 ms', (r) => r.deleteToGoneP99Ms],
        ['leftover procs', (r) => r.leftoverProcesses],
      ],
    );
  if (out.simulated?.notMeasured)
    console.log(
      `\nsimulated runtime, ${NODES} hollow nodes in ${AGENTS} agent process(es): NOT MEASURED — ${out.simulated.notMeasured} within ${out.simulated.nodesReadySeconds.toFixed(0)} s`,
    );
  else if (out.simulated)
    printTable(
      `simulated runtime, ${NODES} hollow nodes in ${AGENTS} agent process(es) (Ready in ${out.simulated.nodesReadySeconds.toFixed(0)} s), ${PODS_PER_RATE ? `${PODS_PER_RATE} pods` : `${DURATION_S} s`} per rate, start delay ${out.options.simStartDelayMs} ms${QUOTA ? ', every create charged to a ResourceQuota' : ''}`,
      out.simulated.results,
      [['bound→Running p99 ms', (r) => r.boundToRunningP99Ms?.toFixed(0)]],
    );
  if (out.simulated?.idleCpuPercentOfOneCore)
    console.log(
      `  idle ${NODES} nodes before the first pod (Lease renewals, watches): ${cpuText(out.simulated.idleCpuPercentOfOneCore)}`,
    );
  for (const c of out.ceiling) printCeiling(c);
  const errs = { ...(out.processAgentErrors ?? {}), ...(out.hollowAgentErrors ?? {}) };
  if (Object.keys(errs).length) {
    console.log('\nAgent error lines (most frequent):');
    for (const [k, v] of Object.entries(errs)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 8))
      console.log(`  ${v} × ${k.replace(/\s+/g, ' ')}`);
  }
  if (out.hollowNodesStillReady === -1)
    console.log(
      '\nThe API did not answer within 10 s when the hollow nodes were counted at the end.',
    );
  else if (out.hollowNodesStillReady !== undefined && out.hollowNodesStillReady < NODES)
    console.log(
      `\nOnly ${out.hollowNodesStillReady}/${NODES} hollow nodes were still Ready at the end.`,
    );
  const dir = path.dirname(OUT);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    // Results stay on this machine: the directory ignores itself.
    if (path.resolve(dir) === path.join(root, 'bench/results'))
      fs.writeFileSync(path.join(dir, '.gitignore'), '*\n');
  }
  // Formatted as Prettier would (`prettier --check bench/` stays clean).
  let json = JSON.stringify(out, null, 2) + '\n';
  try {
    json = await require('prettier').format(json, { parser: 'json' });
  } catch {
    // Prettier not installed: plain JSON
  }
  fs.writeFileSync(OUT, json);
  console.log(
    `\nJSON: ${path.relative(process.cwd(), OUT)}  (whole run ${out.seconds.toFixed(0)} s)`,
  );
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
