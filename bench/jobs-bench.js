#!/usr/bin/env node
// Job throughput benchmark (issue 13): N Jobs (batch/v1, completions 1, one short pod each)
// created in a burst on the simulated runtime with hollow nodes. Reports completed Jobs per
// second and create→Complete latency p50/p99, measured two ways:
//   - watched: from the create request sent to the watch event carrying the Complete
//     condition (client clock, milliseconds);
//   - server: from metadata.creationTimestamp to the Complete condition's
//     lastTransitionTime (the API's timestamps, which have one-second resolution);
// and per stage (watched): Job create → its pod created (Job controller), → bound
// (scheduler), → Running and → Succeeded (agent), → Job Complete (Job controller again).
// The ceiling is the raw PostgreSQL single-row INSERT rate at the same concurrency, before
// and after the run.
//
// The API server runs in this process (bench/lib.js), the worker and the hollow agents as
// child processes, on a fresh database and Redis key prefix. A pod "completes" because its
// container's environment scripts it: BERTH_SIMULATED_EXIT_AFTER_MS (libs/runtime's
// simulated runtime) makes it exit 0 that long after it started.
//
//   npm run bench:jobs                        (builds first; 1,000 Jobs on 100 nodes)
//   node bench/jobs-bench.js --jobs 200 --nodes 20
//
// Not part of `npm test`.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
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
} = require('./lib');

const USAGE = `usage: node bench/jobs-bench.js [options]

N Jobs of one short pod each on the simulated runtime; completed Jobs per second and
create→Complete latency, with the PostgreSQL INSERT ceiling at the same concurrency.

  --jobs N            Jobs to create (default 1000)
  --nodes N           hollow nodes (default 100)
  --concurrency N     Job creates in flight, and the ceiling's INSERTs in flight (default 16)
  --agents N          agent processes sharing the hollow nodes (default 1)
  --workers N         worker processes (default 1)
  --run-ms MS         how long each Job's container runs before it exits 0 (default 500)
  --timeout S         give up waiting for the Jobs to complete after S seconds (default 600)
  --keep-logs         keep the worker's and agents' logs (their directory is printed)
  --cpu-prof DIR      write a V8 CPU profile of the worker and agent processes to DIR
  --help              this text

Environment: DATABASE_URL (PostgreSQL server, default postgresql://postgres@127.0.0.1:5432/postgres),
REDIS_URL (default redis://127.0.0.1:6379).`;

const { opt, flag } = options(USAGE);
const positive = (name, fallback) => {
  const v = Number(opt(name, fallback));
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name} must be a whole number >= 1\n\n${USAGE}`);
    process.exit(2);
  }
  return v;
};
const JOBS = positive('jobs', '1000');
const NODES = positive('nodes', '100');
const CONCURRENCY = positive('concurrency', '16');
const AGENTS = Math.min(NODES, positive('agents', '1'));
const WORKERS = positive('workers', '1');
const RUN_MS = positive('run-ms', '500');
const TIMEOUT_MS = positive('timeout', '600') * 1000;
const KEEP_LOGS = flag('keep-logs');
const CPU_PROF = opt('cpu-prof', undefined);
const nodeArgs = (name) =>
  CPU_PROF
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${path.resolve(CPU_PROF)}`,
        `--cpu-prof-name=${name}.cpuprofile`,
      ]
    : [];
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const NS = 'bench-jobs';
const now = () => performance.now();
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const log = (msg) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}  (load ${loadavg()})`);

function job(name) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'berth.dev/hollow': 'true' },
          containers: [
            {
              name: 'work',
              image: 'busybox:1.36',
              command: ['sh', '-c', 'echo done'],
              env: [{ name: 'BERTH_SIMULATED_EXIT_AFTER_MS', value: String(RUN_MS) }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
            },
          ],
        },
      },
    },
  };
}

const isTrue = (obj, type) =>
  obj.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** Per Job name: when its create was sent and answered, and each stage seen in a watch. */
class JobClock {
  constructor() {
    this.jobs = new Map();
  }
  get(name) {
    let j = this.jobs.get(name);
    if (!j) this.jobs.set(name, (j = {}));
    return j;
  }
  onJob(ev, at) {
    if (ev.type === 'DELETED') return;
    const j = this.get(ev.object.metadata.name);
    if (j.completeAt !== undefined) return;
    const complete = isTrue(ev.object, 'Complete');
    if (complete) {
      j.completeAt = at;
      j.serverMs =
        Date.parse(complete.lastTransitionTime) - Date.parse(ev.object.metadata.creationTimestamp);
    } else if (isTrue(ev.object, 'Failed')) j.failedAt ??= at;
  }
  onPod(ev, at) {
    if (ev.type === 'DELETED') return;
    const owner = ev.object.metadata.ownerReferences?.find((o) => o.kind === 'Job');
    if (!owner) return;
    const j = this.get(owner.name);
    j.podAt ??= at;
    if (ev.object.spec?.nodeName) j.boundAt ??= at;
    const phase = ev.object.status?.phase;
    if (phase === 'Running') j.runningAt ??= at;
    if (phase === 'Succeeded') j.succeededAt ??= at;
  }
}

/** p50/p99 in ms of `to - from` over the Jobs that have both, and how many had. */
function stage(jobs, from, to) {
  const v = jobs
    .filter((j) => j[from] !== undefined && j[to] !== undefined)
    .map((j) => j[to] - j[from])
    .sort((a, b) => a - b);
  return { count: v.length, p50Ms: Math.round(pct(v, 50)), p99Ms: Math.round(pct(v, 99)) };
}

async function readyNodes(client) {
  const nodes = await client
    .call('GET', `/api/v1/nodes?labelSelector=${encodeURIComponent('berth.dev/hollow=true')}`)
    .catch(() => null);
  if (!nodes) return 0;
  return nodes.items.filter((n) => isTrue(n, 'Ready')).length;
}

(async () => {
  const runId = randomBytes(3).toString('hex');
  const prefix = `berth-jobs-bench-${runId}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-jobs-bench-'));
  const out = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    loadavgAtStart: os.loadavg(),
    options: {
      jobs: JOBS,
      nodes: NODES,
      concurrency: CONCURRENCY,
      agents: AGENTS,
      workers: WORKERS,
      runMs: RUN_MS,
    },
  };
  log(`jobs bench ${runId}: ${JOBS} Jobs, ${NODES} hollow nodes, concurrency ${CONCURRENCY}`);
  const server = await startBenchServer(SERVER_URL, 'jobsbench');
  const client = httpClient(server.base, server.token, Math.max(64, CONCURRENCY * 2));
  const children = [];
  const watches = [];
  let failed;
  try {
    const ceilingOps = Math.max(2000, CONCURRENCY * 100);
    out.ceilingBefore = await pgInsertCeiling(server.dbUrl, ceilingOps, CONCURRENCY, job('x'));
    log(`PostgreSQL INSERT ceiling: ${out.ceilingBefore.perSec.toFixed(0)}/s`);
    const env = { DATABASE_URL: server.dbUrl, REDIS_URL, BERTH_QUEUE_PREFIX: prefix };
    for (let i = 0; i < WORKERS; i++)
      children.push(
        spawnApp(
          'worker',
          [],
          { ...env, BERTH_WORKER_ID: `jobs-bench-${i}`, BERTH_LOG_LEVEL: 'warn' },
          path.join(tmp, `worker-${i}.log`),
          nodeArgs(`worker-${i}`),
        ),
      );
    const { token: bootstrapToken } = await client.call('POST', '/auth/bootstrap-tokens', {});
    let t = now();
    for (let a = 0; a < AGENTS; a++) {
      const n = Math.floor(NODES / AGENTS) + (a < NODES % AGENTS ? 1 : 0);
      const args = [
        '--api-url',
        server.base,
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
        '--node-ip',
        '127.0.0.1',
        '--kubelet-port',
        '0',
        '--log-level',
        'warn',
        '--data-dir',
        path.join(tmp, `agent-${a}`),
      ];
      children.push(
        spawnApp(
          'agent',
          args,
          { BERTH_BOOTSTRAP_TOKEN: bootstrapToken },
          path.join(tmp, `agent-${a}.log`),
          nodeArgs(`agent-${a}`),
        ),
      );
    }
    await waitFor(`${NODES} hollow nodes to be Ready`, Math.max(120_000, NODES * 600), async () => {
      const dead = children.find((c) => c.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnargs[1]} exited (${dead.exitCode}); logs in ${tmp}`);
      return (await readyNodes(client)) >= NODES;
    });
    out.nodesReadySeconds = (now() - t) / 1000;
    log(`${NODES} hollow nodes Ready after ${out.nodesReadySeconds.toFixed(1)} s`);

    await client.call('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    const clock = new JobClock();
    const rvOf = async (list) =>
      (await client.call('GET', `${list}?limit=1`)).metadata.resourceVersion;
    const jobsPath = `/apis/batch/v1/namespaces/${NS}/jobs`;
    const podsPath = `/api/v1/namespaces/${NS}/pods`;
    watches.push(
      watch(server.base, server.token, jobsPath, await rvOf(jobsPath), (ev, at) =>
        clock.onJob(ev, at),
      ),
      watch(server.base, server.token, podsPath, await rvOf(podsPath), (ev, at) =>
        clock.onPod(ev, at),
      ),
    );
    const names = Array.from({ length: JOBS }, (_, i) => `job-${String(i).padStart(5, '0')}`);
    let createErrors = 0;
    let firstError;
    const t0 = now();
    await parallel(JOBS, CONCURRENCY, async (i) => {
      const j = clock.get(names[i]);
      j.sentAt = now();
      try {
        await client.call('POST', jobsPath, job(names[i]));
        j.createdAt = now();
      } catch (err) {
        j.createFailed = true;
        createErrors++;
        firstError ??= err.message.slice(0, 300);
      }
    });
    const createSeconds = (now() - t0) / 1000;
    log(`${JOBS - createErrors} Jobs created in ${createSeconds.toFixed(1)} s`);
    const jobs = () => names.map((n) => clock.get(n)).filter((j) => !j.createFailed);
    const finished = () =>
      jobs().filter((j) => j.completeAt !== undefined || j.failedAt !== undefined).length;
    const deadline = now() + TIMEOUT_MS;
    let lastLog = now();
    while (finished() < JOBS - createErrors && now() < deadline) {
      for (const c of children)
        if (c.exitCode !== null) throw new Error(`${c.spawnargs[1]} exited (${c.exitCode})`);
      if (now() - lastLog > 10_000) {
        log(`  ${finished()}/${JOBS - createErrors} Jobs finished`);
        lastLog = now();
      }
      await sleep(100);
    }
    const all = jobs();
    const done = all.filter((j) => j.completeAt !== undefined);
    const lastComplete = Math.max(...done.map((j) => j.completeAt));
    const watched = done.map((j) => j.completeAt - j.sentAt).sort((a, b) => a - b);
    const serverSide = done.map((j) => j.serverMs).sort((a, b) => a - b);
    out.result = {
      created: all.length,
      createErrors,
      ...(firstError ? { firstCreateError: firstError } : {}),
      createSeconds,
      createsPerSec: all.length / createSeconds,
      completed: done.length,
      failed: all.filter((j) => j.failedAt !== undefined).length,
      notFinishedInTime: all.length - finished(),
      completedPerSec: done.length ? done.length / ((lastComplete - t0) / 1000) : 0,
      firstCreateToLastCompleteSeconds: done.length ? (lastComplete - t0) / 1000 : null,
      watchedP50Ms: Math.round(pct(watched, 50)),
      watchedP99Ms: Math.round(pct(watched, 99)),
      serverP50Ms: pct(serverSide, 50),
      serverP99Ms: pct(serverSide, 99),
      stages: {
        'create sent → answered': stage(all, 'sentAt', 'createdAt'),
        'create answered → pod created': stage(all, 'createdAt', 'podAt'),
        'pod created → bound': stage(all, 'podAt', 'boundAt'),
        'bound → Running': stage(all, 'boundAt', 'runningAt'),
        'Running → Succeeded': stage(all, 'runningAt', 'succeededAt'),
        'pod Succeeded → Job Complete': stage(all, 'succeededAt', 'completeAt'),
      },
      loadavgAfter: os.loadavg(),
    };
  } catch (err) {
    failed = err;
  } finally {
    for (const w of watches) w.close();
    out.watchErrors = watches.flatMap((w) => w.state.errors).slice(0, 10);
    // Agents first, then the workers.
    await Promise.all(
      children.filter((c) => c.spawnargs[1].includes('agent')).map((c) => stopChild(c)),
    );
    await Promise.all(children.map((c) => stopChild(c)));
    if (!failed)
      out.ceilingAfter = await pgInsertCeiling(
        server.dbUrl,
        out.ceilingBefore.ops,
        CONCURRENCY,
        job('x'),
      ).catch((err) => (failed = err));
    client.close();
    await server.close().catch((err) => console.error(`closing the API: ${err.message}`));
    if (failed || KEEP_LOGS) console.log(`logs kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failed) throw failed;

  const r = out.result;
  const ceil = (c) =>
    `${c.perSec.toFixed(0)}/s (p50 ${c.p50Ms.toFixed(2)} ms, p99 ${c.p99Ms.toFixed(2)} ms)`;
  console.log(
    `\nBerth Job benchmark — ${JOBS} Jobs (completions 1, one pod running ${RUN_MS} ms) on ${NODES} hollow nodes (${AGENTS} agent process(es)), ${WORKERS} worker(s), ${out.cpus} CPUs, load at start ${out.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')}\n`,
  );
  console.log(
    `  Jobs completed:           ${r.completed}/${JOBS}${r.failed ? `, ${r.failed} Failed` : ''}${r.notFinishedInTime ? `, ${r.notFinishedInTime} not finished within ${TIMEOUT_MS / 1000} s` : ''}${r.createErrors ? `, ${r.createErrors} creates refused (${r.firstCreateError})` : ''}`,
  );
  console.log(
    `  completed Jobs per second: ${r.completedPerSec.toFixed(1)}   (first create → last Complete, ${r.firstCreateToLastCompleteSeconds?.toFixed(1)} s)`,
  );
  console.log(
    `  create→Complete p50 / p99: ${r.watchedP50Ms} ms / ${r.watchedP99Ms} ms (watched); ${r.serverP50Ms} ms / ${r.serverP99Ms} ms (creationTimestamp → lastTransitionTime, 1 s resolution)`,
  );
  console.log(
    `  Job creates per second:    ${r.createsPerSec.toFixed(0)} (${CONCURRENCY} in flight)`,
  );
  console.log('  stages (watched)                  Jobs     p50 ms     p99 ms');
  for (const [name, s] of Object.entries(r.stages))
    console.log(
      `    ${name.padEnd(32)} ${String(s.count).padStart(5)} ${String(s.p50Ms).padStart(10)} ${String(s.p99Ms).padStart(10)}`,
    );
  console.log(
    `  raw PostgreSQL single-row INSERT, ${CONCURRENCY} in flight: before ${ceil(out.ceilingBefore)}, after ${ceil(out.ceilingAfter)}`,
  );
  console.log(
    `    → completed Jobs at ${((100 * r.completedPerSec) / out.ceilingBefore.perSec).toFixed(1)}% of the INSERT rate (each Job costs several writes: Job, pod, bind, statuses, events)`,
  );
  console.log(`  load after: ${r.loadavgAfter.map((l) => l.toFixed(1)).join(' ')}`);
  if (out.watchErrors.length) console.log(`  watch errors: ${out.watchErrors.join('; ')}`);
  console.log('\n' + JSON.stringify(out));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
