#!/usr/bin/env node
// `berth` (`npm run berth -- <command>`): operations on a Berth cluster's database.
//
//   berth backup <file>    pg_dump (custom format) of the whole Berth database
//   berth restore <file>   replaces the database with a backup, in one transaction
//   berth reencrypt        rewrites every encrypted row under the first encryption key
//
// A backup is a consistent snapshot (pg_dump reads in one transaction): objects, the
// revision counter and change log, users, API tokens (hashed), tenants and the audit trail.
// Files in the data directory (BERTH_DATA_DIR: TLS CA, jwt-secret, and the key Secrets are
// encrypted with) are not in the database: keep them with the backup.
//
// Restore runs pg_restore's script through psql as ONE transaction that also moves the
// revision counter forward (past the restored one and past the replaced database's, by
// --bump-revision) and marks every earlier revision compacted, as `etcdutl snapshot restore
// --bump-revision --mark-compacted` does: resourceVersions never go back, and a watch or
// informer resuming from a revision before the restore gets 410 Expired and lists again,
// never events from the other history. Other sessions see the old database or the restored
// one, nothing in between. Stop the API servers and workers first; ones left running notice
// (their change feeds read Expired) and re-list, but requests in flight may fail.
//
// Reencrypt (key rotation) reads the keys as the API does (BERTH_ENCRYPTION_KEY, else the
// key file in BERTH_DATA_DIR) and rewrites every Secret in `objects` and every Secret
// snapshot in the change log that is not under the first key, in batches (one statement
// each: all its rows or none; a row a concurrent writer changed is left to that writer).
// It changes no object or resourceVersion, so it is safe while the cluster runs.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const { parse } = require('pg-connection-string');

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/berth';
/** What the revision moves by on restore unless told: etcd's documented recommendation. */
const DEFAULT_BUMP = 1_000_000_000n;
/** Rows re-encrypted per statement unless told. */
const DEFAULT_BATCH = 200;
/** Passes reencrypt makes at most while concurrent writers keep changing rows it read. */
const REENCRYPT_PASSES = 3;
/** The change feed's NOTIFY channel (libs/store object.repository CHANGES_CHANNEL). */
const CHANGES_CHANNEL = 'berth_changes';

const USAGE = `Usage: berth <command> [options]

Commands:
  backup <file>     Write a backup of the Berth database to <file> (pg_dump custom format).
  restore <file>    Replace the Berth database with the backup in <file>.
  reencrypt         Re-encrypt every Secret (objects and change log) with the first key of
                    BERTH_ENCRYPTION_KEY (else of <BERTH_DATA_DIR>/encryption-key, default
                    ./.data): the key rotation step. Safe while the cluster runs.

Options:
  --database-url <url>   The database (default: DATABASE_URL, else ${DEFAULT_DATABASE_URL}).
  --force                restore: replace a database that is not empty.
  --bump-revision <n>    restore: how far the revision counter moves past the larger of the
                         backup's and the replaced database's (default ${DEFAULT_BUMP}).
                         Must exceed the writes made after the backup when the replaced
                         database is gone (restoring onto a new server).
  --batch-size <n>       reencrypt: rows per batch (default ${DEFAULT_BATCH}).
  -h, --help             This help.

pg_dump, pg_restore and psql come from BERTH_PG_BIN (a directory) when set, else from
/usr/lib/postgresql/<version>/bin or PATH: a version no older than the server's.

Keep the data directory's key files (BERTH_DATA_DIR: jwt-secret, admin-token, pki/, the
Secrets encryption key) with the backup: the database does not hold them.
Restore with the API servers and workers stopped; see README.md, "Backup and restore".
Rotating the encryption key: README.md, "Rotating the encryption key".`;

class UsageError extends Error {}

function parseArgs(argv) {
  const out = { positional: [], force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '--force') out.force = true;
    else if (a === '--database-url') out.databaseUrl = value();
    else if (a.startsWith('--database-url=')) out.databaseUrl = a.slice(15);
    else if (a === '--bump-revision') out.bump = value();
    else if (a.startsWith('--bump-revision=')) out.bump = a.slice(16);
    else if (a === '--batch-size') out.batchSize = value();
    else if (a.startsWith('--batch-size=')) out.batchSize = a.slice(13);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else out.positional.push(a);
  }
  if (out.bump !== undefined) {
    if (!/^\d+$/.test(out.bump) || BigInt(out.bump) < 1n)
      throw new UsageError(`--bump-revision must be a positive integer, not ${out.bump}`);
    out.bump = BigInt(out.bump);
  }
  if (out.batchSize !== undefined) {
    if (!/^\d+$/.test(out.batchSize) || Number(out.batchSize) < 1 || Number(out.batchSize) > 10000)
      throw new UsageError(`--batch-size must be an integer from 1 to 10000, not ${out.batchSize}`);
    out.batchSize = Number(out.batchSize);
  }
  return out;
}

/** Connection settings for pg and, as environment variables, for libpq's tools. */
function connection(databaseUrl) {
  const p = parse(databaseUrl);
  if (!p.database) throw new UsageError(`the database URL names no database: ${databaseUrl}`);
  const config = {
    host: p.host ?? undefined,
    port: p.port ? Number(p.port) : undefined,
    user: p.user ?? undefined,
    password: p.password ?? undefined,
    database: p.database,
    application_name: 'berth-cli',
  };
  const env = { ...process.env, PGAPPNAME: 'berth-cli' };
  for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) delete env[k];
  if (config.host) env.PGHOST = config.host;
  if (config.port) env.PGPORT = String(config.port);
  if (config.user) env.PGUSER = config.user;
  if (config.password) env.PGPASSWORD = config.password;
  env.PGDATABASE = config.database;
  if (p.ssl && typeof p.sslmode === 'string') env.PGSSLMODE = p.sslmode;
  return { config, env };
}

/** The major version of a PostgreSQL tool (`pg_dump (PostgreSQL) 15.20 …` → 15). */
function toolMajor(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The directory of pg_dump/pg_restore/psql for a server of major version `major`:
 * BERTH_PG_BIN, else /usr/lib/postgresql/<n>/bin (the oldest n ≥ major), else PATH.
 */
function toolDir(major) {
  const candidates = [];
  if (process.env.BERTH_PG_BIN) candidates.push(process.env.BERTH_PG_BIN);
  const lib = '/usr/lib/postgresql';
  if (fs.existsSync(lib))
    for (const v of fs
      .readdirSync(lib)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => a - b))
      candidates.push(path.join(lib, v, 'bin'));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  const seen = [];
  for (const dir of candidates) {
    const bin = path.join(dir, 'pg_dump');
    if (!fs.existsSync(bin)) continue;
    const v = toolMajor(bin);
    seen.push(`${bin} (${v ?? '?'})`);
    if (v !== undefined && v >= major) return dir;
  }
  throw new Error(
    `no pg_dump for a PostgreSQL ${major} server (pg_dump must be as new as the server): ` +
      (seen.length ? `found ${seen.join(', ')}` : 'none found') +
      `; install the PostgreSQL ${major} client tools or set BERTH_PG_BIN to their directory`,
  );
}

/** Runs a tool to its end; rejects with its stderr when it fails. */
function run(bin, args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(bin)} failed (${sig ?? code}): ${stderr.trim()}`));
    });
    if (input) input(child.stdin, child);
  });
}

async function connect(config) {
  const client = new Client(config);
  await client.connect();
  return client;
}

async function serverMajor(client) {
  const { rows } = await client.query(`SELECT current_setting('server_version_num')::int AS v`);
  return Math.floor(rows[0].v / 10000);
}

/** The revision row, or undefined when the database has no Berth tables. */
async function revisionOf(client) {
  const { rows } = await client.query(`SELECT to_regclass('public.revision') IS NOT NULL AS ok`);
  if (!rows[0].ok) return undefined;
  const r = await client.query(`SELECT value::text, compacted::text FROM public.revision`);
  return r.rows[0] && { value: BigInt(r.rows[0].value), compacted: BigInt(r.rows[0].compacted) };
}

async function backup(file, databaseUrl) {
  const { config, env } = connection(databaseUrl);
  const client = await connect(config);
  let major;
  let revision;
  try {
    major = await serverMajor(client);
    revision = await revisionOf(client);
  } finally {
    await client.end();
  }
  if (!revision)
    throw new Error(`${config.database} is not a Berth database (it has no revision table)`);
  const dir = toolDir(major);
  const target = path.resolve(file);
  const partial = `${target}.partial`;
  try {
    await run(path.join(dir, 'pg_dump'), ['--format=custom', `--file=${partial}`], env);
    fs.renameSync(partial, target);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  const size = fs.statSync(target).size;
  console.log(
    `berth: backed up database ${config.database} (revision ${revision.value} or later) to ${file} (${size} bytes)`,
  );
  console.log(
    "berth: keep the data directory's key files (jwt-secret, admin-token, pki/, the Secrets encryption key) with it",
  );
}

/** Opens `database` on the same server, creating it when it does not exist. */
async function openOrCreate(config) {
  try {
    return { client: await connect(config), created: false };
  } catch (err) {
    if (err.code !== '3D000') throw err;
  }
  const admin = await connect({ ...config, database: 'postgres' });
  try {
    await admin.query(`CREATE DATABASE "${config.database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  return { client: await connect(config), created: true };
}

async function restore(file, databaseUrl, { force, bump = DEFAULT_BUMP }) {
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
  const { config, env } = connection(databaseUrl);
  const { client, created } = await openOrCreate(config);
  let major;
  let previous;
  let tables;
  let others;
  try {
    major = await serverMajor(client);
    previous = await revisionOf(client);
    const t = await client.query(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
         AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg\\_%'`,
    );
    tables = t.rows[0].n;
    const o = await client.query(
      `SELECT coalesce(nullif(application_name, ''), 'unnamed') AS app, count(*)::int AS n
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
       GROUP BY 1 ORDER BY 1`,
    );
    others = o.rows.map((r) => `${r.app} ×${r.n}`);
  } finally {
    await client.end();
  }
  if (tables > 0 && !force) {
    const rev = previous ? `, revision ${previous.value}` : '';
    const connected = others.length ? `; connected now: ${others.join(', ')}` : '';
    throw new UsageError(
      `database ${config.database} is not empty (${tables} tables${rev}${connected}): restoring replaces everything in it. ` +
        'Stop the API servers and workers, then run again with --force',
    );
  }
  const dir = toolDir(major);
  const listing = await run(path.join(dir, 'pg_restore'), ['--list', file], env);
  if (!/ TABLE DATA public revision /.test(listing))
    throw new Error(`${file} is not a backup of a Berth database (it has no revision table)`);
  if (others.length)
    console.log(
      `berth: still connected to ${config.database}: ${others.join(', ')} (they re-list after the restore; requests in flight may fail)`,
    );
  // pg_restore writes the restore as a script, streamed into psql between our BEGIN and
  // COMMIT: one transaction, stopped at the first error (ON_ERROR_STOP). If pg_restore
  // fails, psql is stopped before COMMIT, so the database stays as it was.
  const floor = previous ? previous.value : 0n;
  const before =
    'BEGIN;\n' +
    (tables > 0 ? 'DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n' : '');
  const after = `
SELECT pg_catalog.set_config('search_path', 'public', false);
UPDATE public.revision
   SET value = GREATEST(value, ${floor}) + ${bump},
       compacted = GREATEST(value, ${floor}) + ${bump};
DELETE FROM public.changes;
SELECT pg_notify('${CHANGES_CHANNEL}', value::text) FROM public.revision;
COMMIT;
`;
  let restoreFailed;
  await run(
    path.join(dir, 'psql'),
    ['--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '--file=-'],
    env,
    (stdin, psql) => {
      stdin.on('error', () => undefined); // psql stopped early: its exit code says why
      stdin.write(before);
      const pr = spawn(
        path.join(dir, 'pg_restore'),
        ['--no-owner', '--no-privileges', '--file=-', file],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      pr.stderr.on('data', (d) => (stderr += d));
      pr.stdout.pipe(stdin, { end: false });
      pr.once('close', (code) => {
        if (code === 0) return void stdin.end(after);
        restoreFailed = new Error(`pg_restore failed (${code}): ${stderr.trim()}`);
        psql.kill('SIGKILL');
      });
    },
  ).catch((err) => {
    throw restoreFailed ?? err;
  });
  if (restoreFailed) throw restoreFailed;
  const check = await connect(config);
  let now;
  try {
    now = await revisionOf(check);
  } finally {
    await check.end();
  }
  console.log(
    `berth: restored ${file} into ${created ? 'new ' : ''}database ${config.database}; ` +
      `revision ${now.value} (earlier revisions are compacted: watches from before get 410 Expired)`,
  );
}

/** `12 rewritten, 3 already under k2, 0 changed meanwhile (15 scanned)`. */
function countsLine(c, key) {
  return `${c.rewritten} rewritten, ${c.current} already under ${key}, ${c.skipped} changed meanwhile (${c.scanned} scanned)`;
}

async function reencrypt(databaseUrl, { batchSize = DEFAULT_BATCH }) {
  let store;
  try {
    store = require('@berth/store');
  } catch (err) {
    throw new Error(`cannot load @berth/store (${err.message}); run \`npm run build\` first`);
  }
  const resources = (process.env.BERTH_ENCRYPTED_RESOURCES ?? 'secrets')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const dataDir = path.resolve(process.env.BERTH_DATA_DIR || path.join(process.cwd(), '.data'));
  // As the API reads them, but never creating a key file: a new key could open nothing.
  const encryption = store.storeEncryption({
    encryptionKey: process.env.BERTH_ENCRYPTION_KEY ?? '',
    encryptedResources: resources,
    dataDir,
    createKeyFile: false,
  });
  const codec = new store.ObjectCodec(encryption);
  const key = codec.primaryKeyName;
  const { config } = connection(databaseUrl);
  const { Pool } = require('pg');
  const pool = new Pool({ ...config, max: 2 });
  try {
    const client = await pool.connect();
    try {
      if (!(await revisionOf(client)))
        throw new Error(`${config.database} is not a Berth database (it has no revision table)`);
    } finally {
      client.release();
    }
    console.log(
      `berth: re-encrypting ${resources.join(', ') || 'nothing'} in database ${config.database} under key ${key} ` +
        `(keys ${encryption.keyNames.join(', ')} from ${encryption.source}; ${batchSize} rows a batch)`,
    );
    for (let pass = 1; ; pass++) {
      const report = await store.reencryptStore(pool, codec, {
        batchSize,
        onBatch: (table, c) =>
          c.scanned > 0 &&
          c.scanned % batchSize === 0 &&
          console.log(`berth:   ${table}: ${c.scanned} read…`),
      });
      console.log(`berth: objects: ${countsLine(report.objects, key)}`);
      console.log(`berth: changes: ${countsLine(report.changes, key)}`);
      const skipped = report.objects.skipped + report.changes.skipped;
      if (skipped === 0) break;
      if (pass === REENCRYPT_PASSES)
        throw new Error(
          `${skipped} rows kept changing while this ran; check that every API server and worker has ${key} as its first key, then run reencrypt again`,
        );
      console.log(`berth: ${skipped} rows changed while this ran; checking them again`);
    }
    console.log(
      `berth: every encrypted row is under ${key}; keys other than ${key} may now be removed from every API server and worker`,
    );
  } finally {
    await pool.end();
  }
}

async function main(argv) {
  const args = parseArgs(argv);
  const [command, file, ...rest] = args.positional;
  if (args.help || !command) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  if (command !== 'backup' && command !== 'restore' && command !== 'reencrypt')
    throw new UsageError(`unknown command ${command}`);
  const url = args.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (command === 'reencrypt') {
    if (file || rest.length) throw new UsageError(`unexpected ${[file, ...rest].join(' ')}`);
    if (args.force || args.bump !== undefined)
      throw new UsageError('--force and --bump-revision are for restore');
    await reencrypt(url, { batchSize: args.batchSize });
    return 0;
  }
  if (args.batchSize !== undefined) throw new UsageError('--batch-size is for reencrypt');
  if (!file) throw new UsageError(`${command} needs a file`);
  if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
  if (command === 'backup') {
    if (args.force || args.bump !== undefined)
      throw new UsageError('--force and --bump-revision are for restore');
    await backup(file, url);
  } else {
    await restore(file, url, { force: args.force, bump: args.bump });
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`berth: ${err.message}`);
      if (err instanceof UsageError) console.error('Run `berth --help` for usage.');
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}

module.exports = { main, parseArgs, USAGE };
