import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { errors } from '@berth/core';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/**
 * Slows password guessing: failed logins are counted in Redis per user and client
 * address (so every API replica shares the count), and per address across users.
 * Past the limit, logins answer 429 with Retry-After until the window passes. If Redis
 * is unreachable, counting falls back to this process's memory rather than failing open.
 */
@Injectable()
export class LoginLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('LoginLimiter');
  private readonly redis: IORedis;
  private readonly byUserAndAddress: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.redis = new IORedis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    this.redis.on('error', (err: Error) => this.logger.warn(`redis: ${err.message}`));
    const window = config.loginWindowSeconds;
    const make = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${config.redisPrefix}:login:${name}`,
        points,
        duration: window,
        blockDuration: window,
        insuranceLimiter: new RateLimiterMemory({
          points,
          duration: window,
          blockDuration: window,
        }),
      });
    this.byUserAndAddress = make('user', config.loginMaxFailures);
    this.byAddress = make('addr', config.loginMaxFailures * 10);
  }

  private static key(username: string, address: string): string {
    return `${username.toLowerCase()}|${address}`;
  }

  /** Throws 429 when this user and address (or the address) used up their failures. */
  async check(username: string, address: string): Promise<void> {
    const [user, addr] = await Promise.all([
      this.byUserAndAddress.get(LoginLimiter.key(username, address)),
      this.byAddress.get(address),
    ]);
    const blocked = [
      [user, this.config.loginMaxFailures],
      [addr, this.config.loginMaxFailures * 10],
    ].find(([res, max]) => res && (res as RateLimiterRes).consumedPoints >= (max as number));
    if (blocked) {
      const res = blocked[0] as RateLimiterRes;
      const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw errors.tooManyRequests(
        `too many failed logins for "${username}" from this address; try again in ${retryAfter} s`,
        retryAfter,
      );
    }
  }

  async failed(username: string, address: string): Promise<void> {
    await Promise.all([
      this.byUserAndAddress.consume(LoginLimiter.key(username, address), 1).catch(() => undefined),
      this.byAddress.consume(address, 1).catch(() => undefined),
    ]);
  }

  async succeeded(username: string, address: string): Promise<void> {
    await this.byUserAndAddress.delete(LoginLimiter.key(username, address)).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
