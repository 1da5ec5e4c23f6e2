import type IORedis from 'ioredis';
import {
  ChangeFeed,
  StoreError,
  type ChangeRecord,
  type ObjectRepository,
  type Subscription,
} from '@berth/store';
import type { Logger } from '../log';
import type { QueueName } from '../queue/catalog';
import type { WorkQueues } from '../queue/work-queues';
import { routeChange, type Route } from './routes';

/**
 * Queues keyed by a whole namespace or tenant whose reconcile reads every counted object
 * there: a burst of changes needs one quota or tenant-usage recount, not one per change.
 * Their routes are gathered for a window and enqueued once; quota usage is kept by
 * admission as pods are created, so the recount only has to catch up. Endpoints are not
 * gathered (kube-controller-manager's EndpointUpdatesBatchPeriod defaults to 0): a pod
 * going must leave its Service's endpoints before its process stops answering.
 */
const GATHERED: ReadonlyMap<QueueName, number> = new Map<QueueName, number>([
  ['quota', 1000],
  ['tenants', 1000],
]);

/**
 * Follows the store's change log from the last revision it handled (kept in Redis, so a
 * restart neither loses nor replays without bound) and turns changes into reconcile jobs.
 * Runs only on the leader. If its revision was compacted away, it falls back to a full
 * resync and carries on from the current revision.
 */
export class FeedFollower {
  private subscription?: Subscription;
  private pending: ChangeRecord[] = [];
  private draining?: Promise<void>;
  private running = false;
  /**
   * Routes of GATHERED queues waiting for their window to close, by job identity: when it
   * closes, and the first revision that asked for it (the position is saved before it).
   */
  private gathered = new Map<string, { route: Route; due: number; since: bigint }>();
  private gatherTimer?: NodeJS.Timeout;
  private flushDue = false;
  /** The newest revision routed, and the newest saved as the follower's position. */
  private routed = 0n;
  private saved = 0n;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly repo: ObjectRepository,
    private readonly redis: IORedis,
    private readonly revisionKey: string,
    private readonly queues: WorkQueues,
    private readonly shards: number,
    private readonly resyncAll: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const saved = await this.redis.get(this.revisionKey);
    let from: bigint;
    if (saved && /^\d+$/.test(saved)) {
      from = BigInt(saved);
    } else {
      from = (await this.repo.revision()).current;
      await this.resyncAll();
    }
    try {
      this.subscription = await this.subscribe(from);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Expired') {
        this.log.warn('feed position was compacted away: full resync', { from: from.toString() });
        const now = (await this.repo.revision()).current;
        await this.resyncAll();
        await this.redis.set(this.revisionKey, now.toString());
        this.subscription = await this.subscribe(now);
      } else {
        this.running = false;
        throw err;
      }
    }
    this.log.info('following the change log', { from: from.toString() });
  }

  private subscribe(from: bigint): Promise<Subscription> {
    this.routed = from;
    this.saved = from;
    return this.feed.subscribe(from, {
      onChange: (change) => {
        this.pending.push(change);
        this.drain();
      },
      onError: (err) => {
        this.log.warn('change feed failed; restarting follower', { error: err.message });
        void this.stop().then(() =>
          this.start().catch((e) =>
            this.log.error('follower restart failed', { error: (e as Error).message }),
          ),
        );
      },
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while ((this.pending.length || this.flushDue) && this.running) {
        const batch = this.pending.splice(0, 500);
        const seen = new Set<string>();
        for (const change of batch) {
          // Stopping (or losing the lead) ends the batch here; its revision is not saved,
          // so whoever follows next re-reads it (routes are level-triggered: no harm).
          if (!this.running) return;
          for (const route of routeChange(change, this.shards)) {
            const id = `${route.queue}:${JSON.stringify(route.payload)}`;
            const windowMs = GATHERED.get(route.queue);
            if (windowMs !== undefined) {
              if (!this.gathered.has(id))
                this.gathered.set(id, {
                  route,
                  due: Date.now() + windowMs,
                  since: change.revision,
                });
              continue;
            }
            if (seen.has(id)) continue;
            seen.add(id);
            await this.enqueue(route);
          }
          this.routed = change.revision;
        }
        if (this.flushDue) {
          this.flushDue = false;
          const now = Date.now();
          for (const [id, g] of [...this.gathered]) {
            if (g.due > now) continue;
            this.gathered.delete(id);
            await this.enqueue(g.route);
          }
        }
        this.armGatherTimer();
        // The position moves only past changes whose every route is enqueued: up to just
        // before the oldest change with a gathered route still waiting.
        let safe = this.routed;
        for (const g of this.gathered.values()) if (g.since - 1n < safe) safe = g.since - 1n;
        if (safe > this.saved) {
          await this.redis.set(this.revisionKey, safe.toString());
          this.saved = safe;
        }
      }
    })().finally(() => {
      this.draining = undefined;
      if ((this.pending.length || this.flushDue) && this.running) this.drain();
    });
  }

  /** Wakes the drain when the earliest gathered window closes. */
  private armGatherTimer(): void {
    if (this.gatherTimer || !this.gathered.size) return;
    let due = Infinity;
    for (const g of this.gathered.values()) due = Math.min(due, g.due);
    this.gatherTimer = setTimeout(
      () => {
        this.gatherTimer = undefined;
        this.flushDue = true;
        this.drain();
      },
      Math.max(0, due - Date.now()),
    );
  }

  private async enqueue(route: Route): Promise<void> {
    await this.queues
      .enqueue(route.queue, route.payload as never)
      .catch((err) =>
        this.log.warn('enqueue failed', { queue: route.queue, error: (err as Error).message }),
      );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.subscription?.close();
    this.subscription = undefined;
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    await this.draining;
    this.pending = [];
    this.gathered.clear();
    this.flushDue = false;
  }
}
