#!/usr/bin/env node
// Scheduling benchmark: N nodes created through the API, then P pods created in a burst;
// reports pods bound per second and p50/p99 creation-to-bind latency (client-observed:
// from the create response to the MODIFIED watch event carrying spec.nodeName), with the
// raw PostgreSQL single-row UPDATE rate measured in the same run as the ceiling.
//
//   npm run build && node bench/scheduler-bench.js --nodes 1000 --pods 10000 --workers 2
//
// Not part of `npm test`.
const http = require('node:http');
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const { Pool } = require('pg');
const { root, store, options, startBenchServer, httpClient, parallel, pct } = require('./lib');

const { opt, flag } = options(
  'usage: node bench/scheduler-bench.js [--nodes 1000] [--pods 10000] [--workers 2] [--clients 16] [--batch 500] [--shards 2] [--prefill]',
);
const NODES = Number(opt('nodes', '1000'));
const PODS = Number(opt('pods', '10000'));
const WORKERS = Number(opt('workers', '2'));
const CLIENTS = Number(opt('clients', '16'));
const BATCH = opt('batch', '500');
const SHARDS = opt('shards', '2');
// --prefill: create every pod first, then start the workers — measures the scheduler alone.
const PREFILL = flag('prefill');
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

async function pgUpdateCeiling(dbUrl, ops, concurrency) {
  const pool = new Pool(store.poolConfig(dbUrl, concurrency + 2));
  await pool.query('CREATE TABLE bench_update (id int PRIMARY KEY, doc jsonb NOT NULL)');
  await pool.query(
    'INSERT INTO bench_update SELECT g, \'{"spec":{}}\'::jsonb FROM generate_series(0, 9999) g',
  );
  const start = process.hrtime.bigint();
  await parallel(ops, concurrency, (i) =>
    pool.query(
      "UPDATE bench_update SET doc = jsonb_set(doc, '{spec,nodeName}', to_jsonb($2::text)) WHERE id = $1",
      [i % 10000, `n${i}`],
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pool.end();
  return ops / seconds;
}

(async () => {
  const server = await startBenchServer(SERVER_URL, 'schedbench');
  const { dbUrl, token: TOKEN, base } = server;
  const client = httpClient(base, TOKEN, 64);
  const call = (_base, method, urlPath, body) => client.call(method, urlPath, body);
  const prefix = `berth-bench-${randomBytes(3).toString('hex')}`;
  const workers = [];
  let result;
  try {
    const ceiling = await pgUpdateCeiling(dbUrl, 5000, 8);
    const startWorkers = () => {
      for (let i = 0; i < WORKERS; i++) {
        const child = spawn(process.execPath, [path.join(root, 'apps/worker/dist/main.js')], {
          env: {
            ...process.env,
            DATABASE_URL: dbUrl,
            BERTH_QUEUE_PREFIX: prefix,
            BERTH_WORKER_ID: `bench-${i}`,
            BERTH_SCHEDULER_BATCH: BATCH,
            BERTH_SCHEDULER_SHARDS: SHARDS,
            // The bench's nodes send no heartbeats: keep the node-lifecycle controller from
            // marking them unreachable (and tainting them) during the run.
            BERTH_NODE_GRACE_PERIOD_MS: '3600000',
            BERTH_LOG_LEVEL: process.env.BENCH_WORKER_LOGS || 'warn',
          },
          stdio: ['ignore', process.env.BENCH_WORKER_LOGS ? 'inherit' : 'ignore', 'inherit'],
        });
        workers.push(child);
      }
    };
    if (!PREFILL) startWorkers();
    await call(base, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    let t = Date.now();
    await parallel(NODES, CLIENTS, (i) =>
      call(base, 'POST', '/api/v1/nodes', {
        metadata: { name: `node-${String(i).padStart(5, '0')}` },
        status: {
          capacity: { cpu: '32', memory: '128Gi', pods: '110' },
          allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      }),
    );
    const nodeSeconds = (Date.now() - t) / 1000;
    const startRv = (await call(base, 'GET', '/api/v1/namespaces/bench/pods?limit=1')).metadata
      .resourceVersion;

    const created = new Map();
    const bound = new Map();
    const watch = http.get(
      `${base}/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${startRv}`,
      { headers: { Authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, i));
            buf = buf.slice(i + 1);
            const name = ev.object?.metadata?.name;
            if (ev.type === 'MODIFIED' && ev.object?.spec?.nodeName && !bound.has(name))
              bound.set(name, performance.now());
          }
        });
      },
    );
    t = performance.now();
    await parallel(PODS, CLIENTS, async (i) => {
      const name = `p-${String(i).padStart(6, '0')}`;
      await call(base, 'POST', '/api/v1/namespaces/bench/pods', {
        metadata: { name },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'busybox',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      });
      created.set(name, performance.now());
    });
    const createSeconds = (performance.now() - t) / 1000;
    if (PREFILL) {
      t = performance.now();
      for (const name of created.keys()) created.set(name, t);
      startWorkers();
    }
    const deadline = Date.now() + 15 * 60_000;
    while (bound.size < PODS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    watch.destroy();
    const lat = [...bound]
      .filter(([n]) => created.has(n))
      .map(([n, at]) => Math.max(0, at - created.get(n)))
      .sort((a, b) => a - b);
    const lastBind = Math.max(...bound.values());
    const seconds = (lastBind - t) / 1000;
    result = {
      nodes: NODES,
      pods: PODS,
      workers: WORKERS,
      bound: bound.size,
      nodeCreateSeconds: nodeSeconds,
      podCreateSeconds: createSeconds,
      podsCreatedPerSec: PODS / createSeconds,
      podsBoundPerSec: bound.size / seconds,
      p50Ms: pct(lat, 50),
      p99Ms: pct(lat, 99),
      pgUpdateCeilingPerSec: ceiling,
    };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((r) => {
            if (w.exitCode !== null) return r();
            const t = setTimeout(() => w.kill('SIGKILL'), 12_000);
            w.once('exit', () => {
              clearTimeout(t);
              r();
            });
          }),
      ),
    );
    await server.close();
    client.close();
  }
  console.log(
    `\nBerth scheduling benchmark (${PREFILL ? 'prefill: pods exist before the workers start' : 'burst: pods created while workers run'}) — ${NODES} nodes, ${PODS} pods, ${WORKERS} worker process(es), ${os.cpus().length} CPUs\n`,
  );
  console.log(`  pods bound:            ${result.bound}/${PODS}`);
  console.log(
    `  binds per second:      ${result.podsBoundPerSec.toFixed(0)}   (${PREFILL ? 'worker start' : 'first create'} → last bind)`,
  );
  console.log(
    `  create→bind p50 / p99: ${result.p50Ms.toFixed(0)} ms / ${result.p99Ms.toFixed(0)} ms`,
  );
  console.log(
    `  pod creates per second: ${result.podsCreatedPerSec.toFixed(0)} (API, ${CLIENTS} clients)`,
  );
  console.log(
    `  raw PostgreSQL single-row UPDATE ceiling: ${result.pgUpdateCeilingPerSec.toFixed(0)}/s → binds at ${((100 * result.podsBoundPerSec) / result.pgUpdateCeilingPerSec).toFixed(0)}% of it`,
  );
  console.log('\n' + JSON.stringify(result));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
