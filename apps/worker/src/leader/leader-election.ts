import type IORedis from 'ioredis';
import type { Logger } from '../log';

const RENEW = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Leader election with a Redis lease: `SET NX PX` to acquire, a compare-and-extend to
 * renew every third of the lease. If the leader dies, its lease expires and another
 * process takes over within one lease duration.
 */
export class LeaderElection {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;

  constructor(
    private readonly redis: IORedis,
    private readonly key: string,
    private readonly identity: string,
    private readonly leaseMs: number,
    private readonly callbacks: { onStartedLeading(): void; onStoppedLeading(): void },
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.leading) {
        const renewed = await this.redis.eval(
          RENEW,
          1,
          this.key,
          this.identity,
          String(this.leaseMs),
        );
        if (renewed !== 1) this.lose('lease lost');
      } else {
        const got = await this.redis.set(this.key, this.identity, 'PX', this.leaseMs, 'NX');
        if (got === 'OK') {
          this.leading = true;
          this.log.info('became leader', { lease: this.key, identity: this.identity });
          this.callbacks.onStartedLeading();
        }
      }
    } catch (err) {
      if (this.leading) this.lose(`renewal failed: ${(err as Error).message}`);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
    }
  }

  private lose(why: string): void {
    this.leading = false;
    this.log.warn('stopped leading', { lease: this.key, why });
    this.callbacks.onStoppedLeading();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.leading) {
      this.leading = false;
      this.callbacks.onStoppedLeading();
      await this.redis.eval(RELEASE, 1, this.key, this.identity).catch(() => undefined);
    }
  }
}
