/**
 * A cluster-wide list + watch cache of one resource (client-go's reflector and store, in
 * small): lists, then watches from the list's resourceVersion, follows every event's
 * version (bookmarks too) so that a watch ending on its timeout resumes where it was, and
 * lists again when the server says 410 Gone. Every key whose object changed is reported.
 */
import type { KubeObject } from '@berth/core';
import { UnreachableError, type ApiClient, type WatchEvent } from '../api-client';
import { Backoff } from '../backoff';
import type { Logger } from '../log';

/** The node credential; throws NoCredential while there is none yet (the node registers). */
export type TokenProvider = () => Promise<string>;

/** No node credential yet: the node agent has not registered. Retried quietly. */
export class NoCredential extends Error {}

export interface InformerOptions {
  client: ApiClient;
  token: TokenProvider;
  /** The collection, e.g. `/api/v1/endpoints`. */
  path: string;
  log: Logger;
  /** Called with `namespace/name` of every object added, changed or gone. */
  onChange: (key: string) => void;
  /** Called once, after the first list. */
  onSynced?: () => void;
  signal: AbortSignal;
  /** Server-side watch timeout, in seconds (a new watch from the last version follows). */
  watchTimeoutSeconds: number;
}

class Expired extends Error {}

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export class Informer {
  readonly items = new Map<string, KubeObject>();
  private resourceVersion?: string;
  private listed = false;
  private unreachable = false;

  constructor(private readonly opts: InformerOptions) {}

  /** True once the first list arrived. */
  get synced(): boolean {
    return this.listed;
  }

  /** Lists and watches until the signal aborts; every failure is retried with back-off. */
  async run(): Promise<void> {
    const { client, signal, watchTimeoutSeconds: timeout } = this.opts;
    const backoff = new Backoff(250, 10_000);
    while (!signal.aborted) {
      try {
        const token = await this.opts.token();
        if (!this.resourceVersion) await this.list(token);
        const res = await client.watch(
          `${this.opts.path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeout}` +
            `&resourceVersion=${this.resourceVersion}`,
          token,
          (e) => this.onEvent(e),
          signal,
          (timeout + 30) * 1000,
        );
        if (res.status === 410) this.resourceVersion = undefined;
        else if (res.status !== 200) throw new Error(`watch ${this.opts.path}: ${res.status}`);
        this.reachable();
        backoff.reset();
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof Expired) {
          this.opts.log.info('watch expired; listing again', { path: this.opts.path });
          this.resourceVersion = undefined;
          continue;
        }
        this.failed(err as Error);
        // The node registers within moments: no growing back-off while it does.
        await sleep(err instanceof NoCredential ? 250 : backoff.next(), signal);
      }
    }
  }

  private async list(token: string): Promise<void> {
    const res = await this.opts.client.request<{
      metadata: { resourceVersion: string };
      items: KubeObject[];
    }>('GET', this.opts.path, { token });
    if (res.status !== 200) throw new Error(`list ${this.opts.path}: ${res.status}`);
    const seen = new Set<string>();
    for (const item of res.body.items) {
      const key = objectKey(item);
      seen.add(key);
      const before = this.items.get(key);
      this.items.set(key, item);
      if (before?.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.opts.onChange(key);
    }
    for (const key of [...this.items.keys()])
      if (!seen.has(key)) {
        this.items.delete(key);
        this.opts.onChange(key);
      }
    this.resourceVersion = res.body.metadata.resourceVersion;
    this.reachable();
    if (!this.listed) {
      this.listed = true;
      this.opts.log.debug('listed', { path: this.opts.path, items: res.body.items.length });
      this.opts.onSynced?.();
    }
  }

  private onEvent(e: WatchEvent): void {
    if (e.type === 'ERROR') {
      const status = e.object as { code?: number; message?: string };
      if (status.code === 410) throw new Expired(status.message ?? 'expired');
      throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
    }
    const o = e.object as unknown as KubeObject;
    if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(o);
    if (e.type === 'DELETED') this.items.delete(key);
    else this.items.set(key, o);
    this.opts.onChange(key);
  }

  private failed(err: Error): void {
    if (err instanceof NoCredential) {
      this.opts.log.debug('waiting for the node credential', { path: this.opts.path });
      return;
    }
    if (err instanceof UnreachableError) {
      if (!this.unreachable)
        this.opts.log.warn('API server unreachable; proxying with what was last seen', {
          path: this.opts.path,
          error: err.message,
        });
      this.unreachable = true;
      return;
    }
    this.opts.log.warn('list/watch failed; retrying', {
      path: this.opts.path,
      error: err.message,
    });
  }

  private reachable(): void {
    if (!this.unreachable) return;
    this.unreachable = false;
    this.opts.log.info('API server reachable again', { path: this.opts.path });
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
