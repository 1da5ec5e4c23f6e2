#!/usr/bin/env node
// `npm test`: builds the workspaces (e2e tests start the built processes), checks that
// PostgreSQL answers, then runs every Jest project: unit and integration, then e2e.
// Arguments (`npm test -- <pattern>`) go to one Jest run over all projects.
// Each integration/e2e test file makes its own database and drops it afterwards.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { Client } = require('pg');

const root = path.resolve(__dirname, '..');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
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
    process.exit(1);
  } finally {
    await client.end().catch(() => undefined);
  }
}

(async () => {
  await checkPostgres();
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json']);
  // The protobuf tables in libs/core are generated; fail if they differ from their inputs.
  run(process.execPath, [path.join(root, 'scripts/gen-protobuf.js'), '--check']);
  // The dashboard's static build (the API serves it at /ui; e2e/dashboard drives it).
  run('npm', ['run', 'build', '--silent', '-w', '@berth/admin']);
  const jest = require.resolve('jest/bin/jest');
  const args = process.argv.slice(2);
  if (args.length) {
    run(process.execPath, [jest, '--maxWorkers=2', ...args]);
    return;
  }
  // Unit and integration tests two at a time; then the e2e files one at a time: each
  // starts several real processes (API, workers) that would otherwise share the two
  // cores with another file's processes and make its deadlines a matter of luck.
  run(process.execPath, [jest, '--maxWorkers=2', '--selectProjects', 'unit', 'integration']);
  run(process.execPath, [jest, '--runInBand', '--selectProjects', 'e2e']);
})();
