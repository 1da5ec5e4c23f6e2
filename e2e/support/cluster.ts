/**
 * One set-up for the e2e files that need a whole cluster: the built API server, a worker,
 * node agents with the `process` runtime, the real kubectl, and tenant users with kubeconfigs
 * of their own. Each e2e file calls `startCluster` in `beforeAll` and `cluster.stop()` in
 * `afterAll`, instead of repeating the processes' start and stop.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import {
  killProcessesWith,
  startAgentProcess,
  type AgentProcess,
  type AgentProcessOptions,
} from './agents';
import {
  kubectl,
  kubectlBinary,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type ApiProcessOptions,
  type JsonBody,
  type KubectlResult,
  type WorkerProcess,
} from './processes';

/** A JSON request with a bearer token to the API's plain-HTTP address; throws on >= 300. */
export async function apiCall(
  api: ApiProcess,
  method: string,
  url: string,
  body?: unknown,
  token: string = api.token,
): Promise<JsonBody> {
  const res = await fetch(`${api.httpUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as JsonBody;
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The real kubectl as a child process that does not block the test (`kubectl wait`, `drain`). */
export function kubectlAsync(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(kubectlBinary(), [
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      cacheDir,
      ...args,
    ]);
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** Deletes the Redis keys under `prefix` (a worker's queues: its BERTH_QUEUE_PREFIX). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 1,
  });
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export interface TenantUser {
  username: string;
  /** An API token of the user's (not the break-glass admin's). */
  token: string;
  /** A kubeconfig file like the admin's, with the user's token. */
  kubeconfig: string;
}

/**
 * A user with a password, a tenant `team` whose member the user is with `role`, and the
 * tenant's `namespaces`; answers the user's token and a kubeconfig file written into `dir`.
 */
export async function createTenantUser(
  api: ApiProcess,
  dir: string,
  opts: { username: string; tenant: string; namespaces: string[]; role?: string },
): Promise<TenantUser> {
  await apiCall(api, 'POST', '/auth/users', { username: opts.username, password: PASSWORD });
  await apiCall(api, 'POST', '/apis/tenancy.berth.dev/v1/tenants', {
    metadata: { name: opts.tenant },
    spec: { members: [{ user: opts.username, role: opts.role ?? 'tenant-admin' }] },
  });
  for (const ns of opts.namespaces)
    await apiCall(api, 'POST', '/api/v1/namespaces', {
      metadata: { name: ns, labels: { 'tenancy.berth.dev/tenant': opts.tenant } },
    });
  return loggedIn(api, dir, opts.username);
}

/**
 * A user with a password, without a tenant of its own (a member of a tenant the test makes,
 * or bound to a role): answers the user's token and a kubeconfig file written into `dir`.
 */
export async function createUser(
  api: ApiProcess,
  dir: string,
  username: string,
): Promise<TenantUser> {
  await apiCall(api, 'POST', '/auth/users', { username, password: PASSWORD });
  return loggedIn(api, dir, username);
}

const PASSWORD = 'team-password-1';

/** Logs `username` in, makes it an API token and writes its kubeconfig into `dir`. */
async function loggedIn(api: ApiProcess, dir: string, username: string): Promise<TenantUser> {
  const session = await apiCall(api, 'POST', '/auth/login', { username, password: PASSWORD });
  const { token } = await apiCall(api, 'POST', '/auth/tokens', { name: 'e2e' }, session.token);
  const kubeconfig = path.join(dir, `${username}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    readFileSync(api.kubeconfig, 'utf8').replace(`token: ${api.token}`, `token: ${token}`),
  );
  return { username, token: token as string, kubeconfig };
}

export interface ClusterOptions {
  /** Names the temp dir, the worker and the process marker. */
  name: string;
  /** Node agents to start (process runtime unless `agent.runtime` says otherwise). */
  nodes?: string[];
  /** Namespaces the admin creates (no tenant). */
  namespaces?: string[];
  /** Without a worker the cluster has no scheduler or controllers. Default true. */
  worker?: boolean;
  api?: ApiProcessOptions;
  workerEnv?: Record<string, string>;
  agent?: Partial<Omit<AgentProcessOptions, 'apiUrl' | 'bootstrapToken' | 'nodeName' | 'dataDir'>>;
}

export interface Cluster {
  api: ApiProcess;
  worker?: WorkerProcess;
  agents: AgentProcess[];
  /** A temp dir removed by `stop`. */
  work: string;
  /**
   * Put into every pod's command line (`: <marker>;`) so `stop` can kill leftovers; also the
   * worker's Redis key prefix, whose keys `stop` deletes.
   */
  marker: string;
  /** kubectl as the break-glass admin. */
  k(...args: string[]): KubectlResult;
  /** kubectl as the admin, in the background. */
  kAsync(...args: string[]): Promise<{ code: number; out: string }>;
  /** kubectl with another kubeconfig (a tenant user's). */
  kAs(kubeconfig: string, ...args: string[]): KubectlResult;
  /** `kubectl apply -f` of a YAML text written to a temp file. */
  apply(yaml: string, ...args: string[]): KubectlResult;
  /** `apply`, with another kubeconfig (a tenant user's). */
  applyAs(kubeconfig: string, yaml: string, ...args: string[]): KubectlResult;
  /** An admin JSON request; throws on >= 300. */
  call(method: string, url: string, body?: unknown): Promise<JsonBody>;
  /** Another node agent (e.g. one joining mid-test); stopped by `stop`. */
  addAgent(nodeName: string, extra?: ClusterOptions['agent']): Promise<AgentProcess>;
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const work = mkdtempSync(path.join(os.tmpdir(), `berth-e2e-${opts.name}-`));
  const marker = `berth-e2e-${opts.name}-${randomUUID().slice(0, 8)}`;
  const api = await startApiProcess(opts.api ?? {});
  const agents: AgentProcess[] = [];
  let worker: WorkerProcess | undefined;
  let bootstrapToken: string | undefined;
  const cache = path.join(work, 'cache');
  const call = (method: string, url: string, body?: unknown) => apiCall(api, method, url, body);
  const cluster: Cluster = {
    api,
    agents,
    work,
    marker,
    k: (...args) => kubectl(api.kubeconfig, cache, args),
    kAsync: (...args) => kubectlAsync(api.kubeconfig, path.join(work, 'cache-async'), args),
    kAs: (kubeconfig, ...args) =>
      kubectl(kubeconfig, path.join(work, `cache-${path.basename(kubeconfig)}`), args),
    apply: (yaml, ...args) => cluster.applyAs(api.kubeconfig, yaml, ...args),
    applyAs: (kubeconfig, yaml, ...args) => {
      const file = path.join(work, `manifest-${randomUUID().slice(0, 6)}.yaml`);
      writeFileSync(file, yaml);
      return kubeconfig === api.kubeconfig
        ? kubectl(api.kubeconfig, cache, ['apply', '-f', file, ...args])
        : cluster.kAs(kubeconfig, 'apply', '-f', file, ...args);
    },
    call,
    addAgent: async (nodeName, extra = opts.agent) => {
      bootstrapToken ??= (await call('POST', '/auth/bootstrap-tokens', {})).token as string;
      const agent = await startAgentProcess({
        apiUrl: api.httpUrl,
        bootstrapToken,
        nodeName,
        dataDir: path.join(work, nodeName),
        ...extra,
      });
      agents.push(agent);
      return agent;
    },
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await worker?.stop();
      await api.stop();
      killProcessesWith(marker);
      rmSync(work, { recursive: true, force: true });
      if (worker) await deleteRedisKeys(marker);
    },
  };
  try {
    if (opts.worker !== false) {
      worker = await startWorkerProcess(
        api.db.url,
        marker,
        `${opts.name}-w0`,
        opts.workerEnv ?? {},
      );
      cluster.worker = worker;
    }
    for (const ns of opts.namespaces ?? [])
      await call('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    for (const node of opts.nodes ?? []) await cluster.addAgent(node);
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}
