import http from 'node:http';
import type { AddressInfo } from 'node:net';
import IORedis from 'ioredis';
import { qualifiedResource, RESOURCES } from '@berth/core';
import { Registry } from '@berth/registry';
import {
  AdmissionRepository,
  ChangeFeed,
  Database,
  ObjectRepository,
  storeEncryption,
  SchedulingRepository,
  type StoredObject,
} from '@berth/store';
import type { WorkerConfig } from './config';
import { DeploymentController } from './controllers/deployment.controller';
import { DaemonSetController } from './controllers/daemonset.controller';
import { EndpointsController } from './controllers/endpoints.controller';
import { ServiceAccountController } from './controllers/service-account.controller';
import { RootCaController } from './controllers/root-ca.controller';
import { JobController } from './controllers/job.controller';
import { CronJobController } from './controllers/cronjob.controller';
import { DisruptionController } from './controllers/disruption.controller';
import { EventRecorder } from './controllers/events';
import { GarbageCollectorController } from './controllers/garbage-collector.controller';
import { NamespaceController } from './controllers/namespace.controller';
import {
  NODE_LEASE_NAMESPACE,
  NodeLifecycleController,
} from './controllers/node-lifecycle.controller';
import { QuotaController } from './controllers/quota.controller';
import {
  REPLICATION_CONTROLLER_KIND,
  ReplicaSetController,
} from './controllers/replicaset.controller';
import { SchedulerController } from './controllers/scheduler.controller';
import { TenantController } from './controllers/tenant.controller';
import { FeedFollower } from './feed/feed-follower';
import { ObjectCache } from './feed/object-cache';
import { PodUsageCache } from './feed/pod-usage';
import { resyncRoutes } from './feed/resync';
import { LeaderElection } from './leader/leader-election';
import { createLogger } from './log';
import { WorkerMetrics } from './metrics/worker-metrics';
import { WorkQueues } from './queue/work-queues';

export interface RunningWorker {
  /** Where /metrics is served, when enabled. */
  metricsUrl?: string;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Periodic task helper shared by the leader-only loops. */
function every(ms: number, task: () => Promise<void>, onError: (err: Error) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    if (stopped) return;
    try {
      await task();
    } catch (err) {
      onError(err as Error);
    }
    if (!stopped) timer = setTimeout(run, ms);
  };
  timer = setTimeout(run, ms);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/**
 * The worker process: BullMQ consumers for every controller (any number of worker
 * processes may run) plus leader-only loops (change-log follower, resync) guarded by a
 * Redis lease.
 */
export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const log = createLogger({
    component: 'berth-worker',
    level: config.logLevel,
    format: config.logFormat,
  });
  const database = new Database(config.databaseUrl, 10);
  const encryption = storeEncryption(config);
  log.info('encryption at rest', {
    resources: encryption.resources,
    keys: encryption.keyNames,
    source: encryption.source,
  });
  const repo = new ObjectRepository(database.pool, { encryption });
  const registry = new Registry(repo, new AdmissionRepository(database.pool));
  const feed = new ChangeFeed(repo, {
    databaseUrl: config.databaseUrl,
    onError: (err) => log.warn('change feed', { error: err.message }),
  });
  await feed.start();
  const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const metrics = new WorkerMetrics();
  const queues = new WorkQueues(redis, config.queuePrefix, metrics, log, {
    lockTtlMs: config.reconcileLockTtlMs,
  });
  const events = new EventRecorder(registry, log);

  // Informers: the scheduler and the node monitor look at every node on each run.
  const nodeCache = new ObjectCache(repo, feed, 'nodes', log);
  const leaseCache = new ObjectCache(
    repo,
    feed,
    'leases.coordination.k8s.io',
    log,
    NODE_LEASE_NAMESPACE,
  );
  const podUsage = new PodUsageCache(repo, feed, log);
  const scheduler = new SchedulerController(
    registry,
    new SchedulingRepository(database.pool),
    events,
    metrics,
    { batchSize: config.schedulerBatchSize, shards: config.schedulerShards },
    nodeCache,
    podUsage,
    log,
  );
  const replicaSets = new ReplicaSetController(registry, events, log);
  const replicationControllers = new ReplicaSetController(
    registry,
    events,
    log,
    REPLICATION_CONTROLLER_KIND,
  );
  const deployments = new DeploymentController(registry, events, log);
  const daemonSets = new DaemonSetController(registry, events, log);
  const nodes = new NodeLifecycleController(
    registry,
    events,
    { gracePeriodMs: config.nodeGracePeriodMs, monitorPeriodMs: config.nodeMonitorPeriodMs },
    log,
    { nodes: nodeCache, leases: leaseCache },
  );
  const garbageCollector = new GarbageCollectorController(registry, log);
  const quotas = new QuotaController(registry, log);
  const namespaces = new NamespaceController(registry, log);
  const tenants = new TenantController(registry, log);
  const endpoints = new EndpointsController(registry, log);
  const serviceAccounts = new ServiceAccountController(registry, log);
  const rootCa = new RootCaController(registry, log);
  const jobs = new JobController(registry, events, log);
  const cronJobs = new CronJobController(registry, events, log);
  const disruption = new DisruptionController(registry, log);

  queues.process('scheduler', (p) => scheduler.reconcile(p), 1);
  queues.process('replicasets', (p) => replicaSets.reconcile(p.key), config.concurrency);
  queues.process(
    'replicationcontrollers',
    (p) => replicationControllers.reconcile(p.key),
    config.concurrency,
  );
  queues.process('deployments', (p) => deployments.reconcile(p.key), config.concurrency);
  queues.process(
    'daemonsets',
    (p) => daemonSets.reconcile(p.key, (key) => queues.enqueue('daemonsets', { key })),
    config.concurrency,
  );
  queues.process('nodes', (p) => nodes.reconcile(p.key), config.concurrency);
  queues.process('gc', (p) => garbageCollector.reconcile(p.key), config.concurrency);
  queues.process('quota', (p) => quotas.reconcile(p.key), config.concurrency);
  queues.process('namespaces', (p) => namespaces.reconcile(p.key), config.concurrency);
  queues.process('tenants', (p) => tenants.reconcile(p.key), config.concurrency);
  queues.process('endpoints', (p) => endpoints.reconcile(p.key), config.concurrency);
  queues.process('serviceaccounts', (p) => serviceAccounts.reconcile(p.key), config.concurrency);
  queues.process(
    'rootca',
    (p) => rootCa.reconcile(p.key, (key) => queues.enqueue('rootca', { key })),
    config.concurrency,
  );
  queues.process('jobs', (p) => jobs.reconcile(p.key), config.concurrency);
  queues.process('cronjobs', (p) => cronJobs.reconcile(p.key), config.concurrency);
  queues.process('disruption', (p) => disruption.reconcile(p.key), config.concurrency);

  const enqueueNode = (name: string) => queues.enqueue('nodes', { key: name });

  const resyncAll = async () => {
    for (let shard = 0; shard < config.schedulerShards; shard++) {
      await queues.enqueue('scheduler', { shard, retryUnschedulable: true });
    }
    // Everything stored, so that routes can check owner references against every uid.
    const objects: StoredObject[] = [];
    for (const def of RESOURCES) {
      for (const item of (await repo.list({ resource: qualifiedResource(def) })).items)
        objects.push(item);
    }
    for (const route of resyncRoutes(objects))
      await queues.enqueue(route.queue, route.payload as never);
  };

  const follower = new FeedFollower(
    feed,
    repo,
    redis,
    `${config.queuePrefix}:feed:revision`,
    queues,
    config.schedulerShards,
    resyncAll,
    log,
  );
  let stopLoops: Array<() => void> = [];
  const election = new LeaderElection(
    redis,
    `${config.queuePrefix}:leader:controller-manager`,
    config.identity,
    config.leaseDurationMs,
    {
      onStartedLeading: () => {
        void follower
          .start()
          .catch((err) => log.error('follower failed to start', { error: (err as Error).message }));
        stopLoops = [
          every(config.resyncIntervalMs, resyncAll, (err) =>
            log.warn('resync failed', { error: err.message }),
          ),
          // A node that stops heartbeating makes no change: check every node's health.
          every(
            config.nodeMonitorPeriodMs,
            () => nodes.sweep(enqueueNode),
            (err) => log.warn('node monitor failed', { error: err.message }),
          ),
        ];
      },
      onStoppedLeading: () => {
        for (const stop of stopLoops) stop();
        stopLoops = [];
        void follower.stop();
      },
    },
    log,
  );
  election.start();

  let metricsServer: http.Server | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsPort !== undefined) {
    metricsServer = http.createServer(async (req, res) => {
      if (req.url === '/metrics') {
        await queues.collectDepth().catch(() => undefined);
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) =>
      metricsServer!.listen(config.metricsPort, '127.0.0.1', resolve),
    );
    metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}`;
  }
  log.info('worker started', { identity: config.identity, metrics: metricsUrl });

  return {
    metricsUrl,
    isLeader: () => election.isLeader,
    async stop() {
      // The leader lease is released first (another worker takes over at once), then the
      // BullMQ workers take no new jobs and wait for the active ones to finish.
      log.info('worker stopping', { identity: config.identity, leader: election.isLeader });
      await election.stop();
      await follower.stop();
      await queues.close();
      nodeCache.stop();
      podUsage.stop();
      leaseCache.stop();
      await feed.stop();
      if (!(await database.close()))
        log.warn('the database pool did not close within 3 s; leaving it to the process exit');
      redis.disconnect();
      await new Promise<void>((resolve) =>
        metricsServer ? metricsServer.close(() => resolve()) : resolve(),
      );
      log.info('worker stopped', { identity: config.identity });
    },
  };
}
