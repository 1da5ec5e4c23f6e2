#!/usr/bin/env node
// API benchmark: create / get / list / patch throughput and p50/p99 latency at a few
// concurrency levels, against a real API server on a fresh database — and, in the same
// run, the raw PostgreSQL single-row insert rate through `pg` as the ceiling.
//
//   npm run bench                      (builds first)
//   node bench/api-bench.js --ops 2000 --concurrency 1,8,32
//
// Not part of `npm test`. Prints a table and a JSON summary.
const os = require('node:os');
const { Pool } = require('pg');
const { store, options, startBenchServer, httpClient, pct } = require('./lib');

const { opt } = options(
  'usage: node bench/api-bench.js [--ops N] [--concurrency 1,8,32] [--database-url URL]',
);
const OPS = Number(opt('ops', '1000'));
const LEVELS = opt('concurrency', '1,8,32').split(',').map(Number);
const SERVER_URL = opt(
  'database-url',
  process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
);

/** Runs `ops` calls of `fn(i)` with `concurrency` in flight; returns throughput and latencies (ms). */
async function measure(ops, concurrency, fn) {
  const latencies = new Array(ops);
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= ops) return;
        const t0 = process.hrtime.bigint();
        await fn(i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: ops / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

function pod(name) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        },
      ],
    },
  };
}

(async () => {
  const server = await startBenchServer(SERVER_URL, 'bench');
  const dbUrl = server.dbUrl;
  const client = httpClient(server.base, server.token, 256);
  const call = (_base, method, urlPath, body, contentType) =>
    client.call(method, urlPath, body, contentType);
  const base = server.base;
  const results = [];
  try {
    await call(base, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench' },
    });
    // The ceiling: raw single-row inserts of a similar JSON document through pg.
    const pool = new Pool(store.poolConfig(dbUrl, 64));
    await pool.query('CREATE TABLE bench_raw (id text PRIMARY KEY, doc jsonb NOT NULL)');
    const doc = JSON.stringify(pod('raw'));
    for (const c of LEVELS) {
      const raw = await measure(OPS, c, (i) =>
        pool.query('INSERT INTO bench_raw (id, doc) VALUES ($1, $2)', [`${c}-${i}`, doc]),
      );
      const create = await measure(OPS, c, (i) =>
        call(base, 'POST', '/api/v1/namespaces/bench/pods', pod(`p-${c}-${i}`)),
      );
      const get = await measure(OPS, c, (i) =>
        call(base, 'GET', `/api/v1/namespaces/bench/pods/p-${c}-${i % OPS}`),
      );
      const list = await measure(Math.max(20, Math.floor(OPS / 20)), c, () =>
        call(base, 'GET', '/api/v1/namespaces/bench/pods?limit=100&labelSelector=app%3Dbench'),
      );
      const patch = await measure(OPS, c, (i) =>
        call(
          base,
          'PATCH',
          `/api/v1/namespaces/bench/pods/p-${c}-${i % OPS}`,
          { metadata: { labels: { touched: String(i) } } },
          'application/merge-patch+json',
        ),
      );
      for (const [op, r] of Object.entries({
        'pg insert (ceiling)': raw,
        create,
        get,
        'list (100/page)': list,
        patch,
      })) {
        results.push({
          concurrency: c,
          op,
          ...r,
          ratioToPg: op.startsWith('pg') ? 1 : r.opsPerSec / raw.opsPerSec,
        });
      }
    }
    await pool.end();
  } finally {
    await server.close();
    client.close();
  }
  console.log(
    `\nBerth API benchmark — ${OPS} ops per cell, ${os.cpus().length} CPUs, node ${process.version}\n`,
  );
  console.log('conc  operation              ops/s     p50 ms   p99 ms   vs pg insert');
  for (const r of results) {
    console.log(
      `${String(r.concurrency).padStart(4)}  ${r.op.padEnd(20)} ${r.opsPerSec.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)}   ${r.op.startsWith('pg') ? '—' : (r.ratioToPg * 100).toFixed(0) + '%'}`,
    );
  }
  console.log('\n' + JSON.stringify({ ops: OPS, results }, null, 0));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
