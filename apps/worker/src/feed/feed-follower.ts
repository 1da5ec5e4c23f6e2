import type IORedis from 'ioredis';
import {
  ChangeFeed,
  StoreError,
  type ChangeRecord,
  type ObjectRepository,
  type Subscription,
} from '@berth/store';
import type { Logger } from '../log';
import type { WorkQueues } from '../queue/work-queues';
import { routeChange } from './routes';

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
      while (this.pending.length && this.running) {
        const batch = this.pending.splice(0, 500);
        const seen = new Set<string>();
        for (const change of batch) {
          // Stopping (or losing the lead) ends the batch here; its revision is not saved,
          // so whoever follows next re-reads it (routes are level-triggered: no harm).
          if (!this.running) return;
          for (const route of routeChange(change, this.shards)) {
            const id = `${route.queue}:${JSON.stringify(route.payload)}`;
            if (seen.has(id)) continue;
            seen.add(id);
            await this.queues.enqueue(route.queue, route.payload as never).catch((err) =>
              this.log.warn('enqueue failed', {
                queue: route.queue,
                error: (err as Error).message,
              }),
            );
          }
        }
        await this.redis.set(this.revisionKey, batch[batch.length - 1].revision.toString());
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.pending.length && this.running) this.drain();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.subscription?.close();
    this.subscription = undefined;
    await this.draining;
    this.pending = [];
  }
}
