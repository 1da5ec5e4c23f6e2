import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  ApiError,
  decideTokenSecret,
  fillTokenSecret,
  findResource,
  isConflict,
  isNotFound,
  isTokenSecret,
  legacyTokenClaims,
  tokenSecretAccount,
  tokenSecretsOf,
  type KubeObject,
} from '@berth/core';
import { Registry, type WriteOptions } from '@berth/registry';
import { ChangeFeed, type ChangeRecord, type Subscription } from '@berth/store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

const SECRETS = findResource('', 'v1', 'secrets')!;
const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const WRITE: WriteOptions = { dryRun: false, fieldValidation: 'Strict' };
const RETRY_MS = 1000;

const orUndefined = (err: unknown): undefined => {
  if (isNotFound(err)) return undefined;
  throw err;
};

/**
 * Kubernetes' "serviceaccount-token" controller, run by the API server because the API
 * alone holds the key tokens are signed with (BERTH_JWT_SECRET; workers never see it): a
 * Secret of type `kubernetes.io/service-account-token` naming an existing ServiceAccount
 * gets `data.token` (a non-expiring legacy JWT), `data.ca.crt`, `data.namespace` and the
 * account's uid annotation; one naming a missing account (or an older account of that
 * name) is deleted, and an account's token Secrets are deleted with it. Follows the
 * change feed from a first list, like an informer; each key is handled one at a time and
 * retried after a second when a write fails for a reason other than the client's. API
 * replicas may all run it: every write is guarded by the resourceVersion read (the
 * losers see a filled Secret and write nothing), a delete by the Secret's uid.
 */
@Injectable()
export class TokenSecrets implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TokenSecrets');
  private readonly pending = new Map<string, () => Promise<void>>();
  private subscriptions: Subscription[] = [];
  private running?: Promise<void>;
  private stopped = false;
  private ca?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly registry: Registry,
    private readonly feed: ChangeFeed,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.startOrRetry();
  }

  /**
   * A Secret the API cannot read (say, one under an encryption key no longer configured) must
   * not keep the API from starting: the controller says why and tries again later, while the
   * API answers reads of that Secret with a Status naming the key.
   */
  private async startOrRetry(): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      if (this.stopped) return;
      this.logger.error(
        `token controller cannot list Secrets (${(err as Error).message}); trying again in 30 s`,
      );
      const timer = setTimeout(() => void this.startOrRetry(), 30_000);
      timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const s of this.subscriptions) s.close();
    this.pending.clear();
    await this.running;
  }

  /** Resolves once every key queued so far has been handled (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async start(): Promise<void> {
    const list = await this.registry.list(SECRETS, undefined, {});
    for (const s of list.items) if (isTokenSecret(s)) this.enqueueSecret(s);
    const from = BigInt(list.metadata.resourceVersion ?? '0');
    const onError = (err: Error) => {
      if (this.stopped) return;
      this.logger.warn(`token controller fell behind (${err.message}); listing again`);
      for (const s of this.subscriptions) s.close();
      this.subscriptions = [];
      void this.start().catch((e: Error) => this.logger.error(`token controller: ${e.message}`));
    };
    this.subscriptions = [
      await this.feed.subscribe(from, {
        resource: 'secrets',
        onChange: (c) => {
          if (c.type !== 'DELETED' && isTokenSecret(c.object as unknown as KubeObject))
            this.enqueueSecret(c.object as unknown as KubeObject);
        },
        onError,
      }),
      await this.feed.subscribe(from, {
        resource: 'serviceaccounts',
        onChange: (c) => this.onAccountChange(c),
        onError,
      }),
    ];
  }

  private onAccountChange(change: ChangeRecord): void {
    if (change.type !== 'DELETED') return;
    const account = change.object as unknown as KubeObject;
    this.enqueue(`account ${change.namespace}/${change.name}`, async () => {
      const secrets = await this.registry.list(SECRETS, change.namespace, {});
      for (const s of tokenSecretsOf(account, secrets.items)) this.enqueueSecret(s);
    });
  }

  private enqueueSecret(secret: KubeObject): void {
    const ns = secret.metadata.namespace ?? '';
    const name = secret.metadata.name ?? '';
    this.enqueue(`secret ${ns}/${name}`, () => this.syncSecret(ns, name));
  }

  private enqueue(key: string, task: () => Promise<void>): void {
    if (this.stopped) return;
    this.pending.set(key, task);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // Queued between the loop's last look and now.
      if (this.pending.size) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.pending.size) {
      const [key, task] = this.pending.entries().next().value as [string, () => Promise<void>];
      this.pending.delete(key);
      try {
        await task();
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError && err.code < 500) {
          this.logger.warn(`${key}: ${err.message}`);
          continue;
        }
        this.logger.warn(`${key}: ${(err as Error).message}; retrying in ${RETRY_MS} ms`);
        setTimeout(() => this.enqueue(key, task), RETRY_MS).unref();
      }
    }
  }

  /** The API's CA (`<data dir>/pki/ca.crt`), once it exists. */
  private caPem(): string | undefined {
    if (this.ca === undefined) {
      const file = path.join(this.config.dataDir, 'pki', 'ca.crt');
      if (existsSync(file)) this.ca = readFileSync(file, 'utf8');
    }
    return this.ca;
  }

  private async syncSecret(namespace: string, name: string): Promise<void> {
    const secret = await this.registry.get(SECRETS, namespace, name).catch(orUndefined);
    if (!secret || !isTokenSecret(secret)) return;
    const named = tokenSecretAccount(secret);
    const account = named.name
      ? await this.registry.get(SERVICE_ACCOUNTS, namespace, named.name).catch(orUndefined)
      : undefined;
    const ca = this.caPem();
    const decision = decideTokenSecret(secret, account, ca);
    if (decision.action === 'delete') {
      try {
        await this.registry.delete(
          SECRETS,
          namespace,
          name,
          { preconditions: { uid: secret.metadata.uid } },
          WRITE,
        );
        this.logger.log(`deleted token secret ${namespace}/${name}: ${decision.reason}`);
      } catch (err) {
        // Gone already, or replaced by another Secret of that name (which has its own event).
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    if (decision.action !== 'fill' || !account) return;
    const token = await this.jwt.signAsync(legacyTokenClaims(account, name), {
      algorithm: 'HS256',
      noTimestamp: true,
    });
    await this.registry
      .guaranteedUpdate(SECRETS, namespace, name, undefined, WRITE, (current) =>
        current.metadata.uid === secret.metadata.uid &&
        decideTokenSecret(current, account, ca).action === 'fill'
          ? fillTokenSecret(current, account, token, ca)
          : current,
      )
      .catch(orUndefined);
  }
}
