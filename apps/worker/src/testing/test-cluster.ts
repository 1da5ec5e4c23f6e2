import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { startTestApiServer, type TestApiServer } from '../../../api/src/testing/test-api-server';
import { loadWorkerConfig, type WorkerConfig } from '../config';
import { startWorker, type RunningWorker } from '../worker';

export interface TestCluster {
  api: TestApiServer;
  workers: RunningWorker[];
  prefix: string;
  config: WorkerConfig;
  addWorker(overrides?: Partial<WorkerConfig>): Promise<RunningWorker>;
  close(): Promise<void>;
}

/** A real API server and real worker(s) on a fresh database and a unique Redis key prefix. */
export async function startTestCluster(
  workers = 1,
  overrides: Partial<WorkerConfig> = {},
): Promise<TestCluster> {
  const api = await startTestApiServer();
  const prefix = `berth-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const config: WorkerConfig = {
    ...loadWorkerConfig({}),
    databaseUrl: api.db.url,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: prefix,
    resyncIntervalMs: 2_000,
    leaseDurationMs: 1_000,
    // Nodes made by tests that play no node agent never heartbeat: keep them Ready for the
    // run. Node lifecycle tests set a short grace period and renew the Leases themselves.
    nodeGracePeriodMs: 3_600_000,
    logLevel: (process.env.BERTH_TEST_LOG as 'debug' | undefined) ?? 'warn',
    ...overrides,
  };
  const running: RunningWorker[] = [];
  const addWorker = async (more: Partial<WorkerConfig> = {}) => {
    const w = await startWorker({ ...config, identity: `test-worker-${running.length}`, ...more });
    running.push(w);
    return w;
  };
  for (let i = 0; i < workers; i++) await addWorker();
  return {
    api,
    workers: running,
    prefix,
    config,
    addWorker,
    async close() {
      await slowStepWarning('stopping the workers', () =>
        Promise.all(running.map((w) => w.stop().catch(() => undefined))),
      );
      await slowStepWarning('closing the API server', () => api.close());
      const redis = new IORedis(config.redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

/** Runs a clean-up step, saying on stderr which one it is if it takes over 10 s. */
async function slowStepWarning<T>(what: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setTimeout(() => console.warn(`test cluster: ${what} is taking over 10 s`), 10_000);
  try {
    return await step();
  } finally {
    clearTimeout(timer);
    if (Date.now() - started > 10_000)
      console.warn(`test cluster: ${what} took ${Date.now() - started} ms`);
  }
}

/** Polls `check` until it returns a truthy value; fails with `what` at the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function node(
  name: string,
  cpu: string,
  memory: string,
  extra: { labels?: Record<string, string>; unschedulable?: boolean; pods?: string } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: {
      capacity: { cpu, memory, pods: extra.pods ?? '110' },
      allocatable: { cpu, memory, pods: extra.pods ?? '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'ready',
          lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    },
  };
}

export function deployment(
  name: string,
  replicas: number,
  cpu = '100m',
  memory = '64Mi',
  image = 'nginx:1.25',
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, resources: { requests: { cpu, memory } } }] },
      },
    },
  };
}
