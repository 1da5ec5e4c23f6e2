import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@berth/store/testing';

export const ROOT = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; fails with `what` at the deadline. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ApiProcess {
  url: string;
  httpUrl: string;
  token: string;
  dataDir: string;
  kubeconfig: string;
  db: TestDatabase;
  /** The session-JWT secret, shared by every replica on this database. */
  jwtSecret: string;
  /** Its Redis key prefix (BERTH_QUEUE_PREFIX), shared by its replicas. */
  queuePrefix: string;
  pid(): number | undefined;
  output(): string;
  /** The exit code of the last run (null while it runs, or when a signal ended it). */
  exitCode(): number | null;
  /** SIGKILL: the process dies without any clean-up. */
  kill(): Promise<void>;
  /** Stops the server process (SIGTERM), keeping its database and data directory. */
  halt(): Promise<void>;
  /**
   * Starts it again on the same database, ports and data directory; `env` (kept for later
   * restarts) changes its environment, e.g. its encryption keys.
   */
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  /**
   * Another replica of this cluster: the new process runs on the same database with the
   * same admin token, JWT secret and Redis prefix (its own ports and data directory, so its
   * own TLS material). Its `stop` leaves the database to the first one.
   */
  replicaOf?: Pick<ApiProcess, 'db' | 'token' | 'jwtSecret' | 'queuePrefix'>;
  /** More environment for the process. */
  env?: Record<string, string>;
}

/**
 * Starts the built API server (`apps/api/dist/main.js`) as a real process on a fresh
 * database, or as one more replica of a running one (`replicaOf`).
 */
export async function startApiProcess(opts: ApiProcessOptions = {}): Promise<ApiProcess> {
  const main = path.join(ROOT, 'apps/api/dist/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const peer = opts.replicaOf;
  const db = peer?.db ?? (await createTestDatabase('berth_e2e'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-'));
  const [port, httpPort] = [await freePort(), await freePort()];
  const token = peer?.token ?? 'e2e-admin-token-abcdefghijklmnop';
  const jwtSecret = peer?.jwtSecret ?? randomBytes(32).toString('base64url');
  // In the data directory, where the server keeps the one it generates (replicas share it;
  // the pod-isolation e2e checks that pods cannot read the file).
  writeFileSync(path.join(dataDir, 'jwt-secret'), jwtSecret + '\n', { mode: 0o600 });
  // Its own Redis keys (login limiter), so runs never share counters.
  const queuePrefix = peer?.queuePrefix ?? `berth-e2e-${path.basename(dataDir)}`;
  let out = '';
  const extraEnv = { ...opts.env };
  let child: ChildProcess | undefined;
  let exited = true;
  let lastExit: number | null = null;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const launch = async () => {
    const proc = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        BERTH_HOST: '127.0.0.1',
        BERTH_HTTP_PORT: String(httpPort),
        BERTH_DATA_DIR: dataDir,
        BERTH_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
        BERTH_ADMIN_TOKEN: token,
        BERTH_LOG_LEVEL: 'warn',
        BERTH_QUEUE_PREFIX: queuePrefix,
        // No load balancer to wait for; a test that wants the delay sets it.
        BERTH_SHUTDOWN_DELAY_MS: process.env.BERTH_SHUTDOWN_DELAY_MS ?? '0',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = false;
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    lastExit = null;
    proc.once('exit', (code) => {
      exited = true;
      lastExit = code;
    });
    await waitFor(async () => {
      if (exited) throw new Error(`API exited early:\n${out}`);
      const res = await fetch(`${httpUrl}/readyz`);
      return res.ok;
    }, 'the API server to be ready').catch((err) => {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${out}`);
    });
  };
  const halt = async () => {
    if (exited || !child) return;
    const proc = child;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };
  await launch();
  return {
    url: `https://127.0.0.1:${port}`,
    httpUrl,
    token,
    dataDir,
    kubeconfig: path.join(dataDir, 'kubeconfig', 'admin.kubeconfig'),
    db,
    jwtSecret,
    queuePrefix,
    pid: () => (exited ? undefined : child?.pid),
    output: () => out,
    exitCode: () => lastExit,
    halt,
    async kill() {
      if (exited || !child) return;
      const proc = child;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone;
    },
    restart: (env) => {
      Object.assign(extraEnv, env);
      return launch();
    },
    async stop() {
      await halt();
      if (!peer) await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response body as tests read it: loosely, field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = Record<string, any>;

export interface AdminResponse {
  status: number;
  /** The body as JSON, or undefined when it is not JSON. */
  json: JsonBody;
  text: string;
}

/**
 * Requests to the API process's plain-HTTP address as the break-glass admin: `call`
 * answers whatever came back; `ok` throws on a status of 300 or more and returns the JSON.
 */
export function adminRequests(api: ApiProcess) {
  const call = async (
    method: string,
    url: string,
    body?: unknown,
    contentType?: string,
  ): Promise<AdminResponse> => {
    const res = await fetch(`${api.httpUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${api.token}`,
        ...(body !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: JsonBody;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined as unknown as JsonBody;
    }
    return { status: res.status, json, text };
  };
  const ok = async (method: string, url: string, body?: unknown, contentType?: string) => {
    const res = await call(method, url, body, contentType);
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
    return res.json;
  };
  return { call, ok };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlBinary(): string {
  return process.env.KUBECTL ?? 'kubectl';
}

/** Runs the real kubectl with the given kubeconfig and a fresh discovery cache. */
export function kubectl(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
  input?: string,
): KubectlResult {
  const res = spawnSync(
    kubectlBinary(),
    ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
    {
      input,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (res.error) throw res.error;
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

export interface WorkerProcess {
  pid: number;
  output(): string;
  /** The exit code (null while it runs, or when a signal ended it). */
  exitCode(): number | null;
  /** SIGKILL: the process dies without any clean-up (its leases and jobs are orphaned). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One encryption key for every API and worker a test run starts, so all of them read the
 * Secrets any of them wrote (each API has a data dir of its own).
 */
export const E2E_ENCRYPTION_KEY = `e2e:${randomBytes(32).toString('base64')}`;

/** Starts the built worker (`apps/worker/dist/main.js`) as a real process. */
export async function startWorkerProcess(
  databaseUrl: string,
  queuePrefix: string,
  identity: string,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const main = path.join(ROOT, 'apps/worker/dist/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  return startBuiltProcess(
    main,
    [],
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      BERTH_QUEUE_PREFIX: queuePrefix,
      BERTH_WORKER_ID: identity,
      BERTH_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
      BERTH_LOG_LEVEL: 'info',
      // e2e nodes have no agent renewing their Lease: don't let them go NotReady mid-test.
      BERTH_NODE_GRACE_PERIOD_MS: '3600000',
      ...extraEnv,
    },
    'worker started',
    `worker ${identity}`,
    10_000,
  );
}

/**
 * Spawns a built entry point with Node, collecting its output, and waits until the output
 * shows `readyText`; `kill` is SIGKILL, `stop` SIGTERM with SIGKILL after `stopGraceMs`.
 * `wrap` is a command that execs Node with its arguments (`"$0" "$@"` in a shell), e.g. to
 * set a limit first: the process keeps its pid.
 */
export async function startBuiltProcess(
  main: string,
  args: string[],
  env: Record<string, string>,
  readyText: string,
  what: string,
  stopGraceMs: number,
  wrap: string[] = [],
): Promise<WorkerProcess> {
  let out = '';
  const command = [...wrap, process.execPath, main, ...args];
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  let exitCode: number | null = null;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      exitCode = code;
      resolve();
    }),
  );
  await waitFor(() => {
    if (exited) throw new Error(`${what} exited early:\n${out}`);
    return out.includes(readyText);
  }, `${what} to start`).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${out}`);
  });
  return {
    pid: child.pid!,
    output: () => out,
    exitCode: () => exitCode,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await gone;
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
        await gone;
        clearTimeout(timer);
      }
    },
  };
}
