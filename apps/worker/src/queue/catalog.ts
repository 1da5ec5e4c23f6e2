import { z } from 'zod';

/** How a queue's jobs retry: BullMQ attempts with exponential backoff. */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export interface QueueSpec<P> {
  /** BullMQ queue name. */
  name: string;
  /** Validates job data on enqueue and on dequeue. */
  payload: z.ZodType<P>;
  retry: RetryPolicy;
  /** The collapse key: jobs with the same id while one waits are one job. */
  jobId(payload: P): string;
  /**
   * Never reconcile one key twice at once (Kubernetes' workqueue guarantee), across all
   * worker processes: a job whose key is being reconciled waits its turn.
   */
  exclusive?: boolean;
}

const keyPayload = z.object({ key: z.string().min(1).max(600) });
export type KeyPayload = z.infer<typeof keyPayload>;
const shardPayload = z.object({ shard: z.number().int().min(0), retryUnschedulable: z.boolean() });
export type ShardPayload = z.infer<typeof shardPayload>;

function keyed(name: string, retry: RetryPolicy): QueueSpec<KeyPayload> {
  return { name, payload: keyPayload, retry, jobId: (p) => `${name}/${p.key}`, exclusive: true };
}

/**
 * The one catalog of queues and jobs: enqueue and dequeue both go through it, so a
 * payload that does not match its schema never enters or leaves a queue.
 */
export const CATALOG = {
  scheduler: {
    name: 'scheduler',
    payload: shardPayload,
    retry: { attempts: 20, backoffMs: 200 },
    jobId: (p: ShardPayload) => `scheduler/${p.shard}${p.retryUnschedulable ? '/retry' : ''}`,
  } satisfies QueueSpec<ShardPayload>,
  replicasets: keyed('replicasets', { attempts: 15, backoffMs: 200 }),
  replicationcontrollers: keyed('replicationcontrollers', { attempts: 15, backoffMs: 200 }),
  deployments: keyed('deployments', { attempts: 15, backoffMs: 200 }),
  daemonsets: keyed('daemonsets', { attempts: 15, backoffMs: 200 }),
  nodes: keyed('nodes', { attempts: 10, backoffMs: 500 }),
  namespaces: keyed('namespaces', { attempts: 15, backoffMs: 500 }),
  gc: keyed('gc', { attempts: 15, backoffMs: 500 }),
  quota: keyed('quota', { attempts: 10, backoffMs: 500 }),
  tenants: keyed('tenants', { attempts: 10, backoffMs: 500 }),
  endpoints: keyed('endpoints', { attempts: 10, backoffMs: 200 }),
  serviceaccounts: keyed('serviceaccounts', { attempts: 10, backoffMs: 500 }),
  rootca: keyed('rootca', { attempts: 10, backoffMs: 500 }),
  jobs: keyed('jobs', { attempts: 15, backoffMs: 200 }),
  cronjobs: keyed('cronjobs', { attempts: 15, backoffMs: 500 }),
  disruption: keyed('disruption', { attempts: 15, backoffMs: 200 }),
} as const;

export type QueueName = keyof typeof CATALOG;
export type PayloadOf<Q extends QueueName> = z.infer<(typeof CATALOG)[Q]['payload']>;
