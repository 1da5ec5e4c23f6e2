import type { KubeObject } from '@berth/core';
import type {
  ChangeFeed,
  ChangeRecord,
  ObjectRepository,
  StoredObject,
  Subscription,
} from '@berth/store';
import type { Logger } from '../log';

/** How long after a failed list the informer tries again. */
const RETRY_MS = 1000;

/**
 * An informer: a view of every object of one resource, listed once and then kept current
 * by the process's change feed from the revision of that list (listed again if the feed
 * drops it). Subclasses say what they keep: `replace` takes a fresh list, `apply` a change.
 * What it holds may be a moment behind the store: writes that depend on it re-check under
 * the store's lock (the scheduler's bind).
 */
export abstract class Informer {
  private subscription?: Subscription;
  private synced?: Promise<void>;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    protected readonly repo: ObjectRepository,
    protected readonly feed: ChangeFeed,
    protected readonly resource: string,
    protected readonly log: Logger,
  ) {}

  protected abstract replace(items: StoredObject[]): void;
  protected abstract apply(change: ChangeRecord): void;

  /** Resolves once the first list is in (again after a resubscription). */
  ready(): Promise<void> {
    this.synced ??= this.sync();
    return this.synced;
  }

  /**
   * Waits until the view holds every change committed before this call (for a decision
   * that must not rest on a stale view, such as "no node fits"). False after the feed's
   * deadline.
   */
  async catchUp(): Promise<boolean> {
    await this.ready();
    return this.feed.caughtUp();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.subscription?.close();
    this.subscription = undefined;
  }

  private async sync(): Promise<void> {
    for (;;) {
      try {
        const listed = await this.repo.list({ resource: this.resource });
        this.replace(listed.items);
        if (this.stopped) return;
        this.subscription = await this.feed.subscribe(listed.revision, {
          resource: this.resource,
          onChange: (change) => this.apply(change),
          onError: (err) => this.resubscribe(err),
        });
        return;
      } catch (err) {
        if (this.stopped) return;
        this.log.warn('informer: list failed; retrying', {
          resource: this.resource,
          error: (err as Error).message,
        });
        await new Promise((resolve) => {
          this.retry = setTimeout(resolve, RETRY_MS);
        });
      }
    }
  }

  /** The feed dropped us (it fell behind compaction): list again. */
  private resubscribe(err: Error): void {
    this.log.warn('informer: subscription lost; listing again', {
      resource: this.resource,
      error: err.message,
    });
    this.subscription = undefined;
    if (this.stopped) return;
    this.synced = this.sync();
  }
}

/**
 * Every object of one resource (in one namespace, when given), as stored. Controllers that
 * look at every node on each run (the scheduler, the node monitor) read it instead of
 * listing 1,000 nodes from the store each time. Objects are shared: callers must not
 * change them.
 */
export class ObjectCache extends Informer {
  private readonly items = new Map<string, KubeObject>();
  private sorted?: KubeObject[];

  constructor(
    repo: ObjectRepository,
    feed: ChangeFeed,
    resource: string,
    log: Logger,
    private readonly namespace?: string,
  ) {
    super(repo, feed, resource, log);
  }

  /** Every object, in name order. */
  async list(): Promise<KubeObject[]> {
    await this.ready();
    this.sorted ??= [...this.items.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
    return this.sorted;
  }

  /** Objects by name (namespaced caches hold one namespace, so names are unique). */
  async byName(): Promise<Map<string, KubeObject>> {
    return new Map((await this.list()).map((o) => [o.metadata.name!, o]));
  }

  protected replace(items: StoredObject[]): void {
    this.items.clear();
    for (const item of items)
      if (this.namespace === undefined || item.key.namespace === this.namespace)
        this.items.set(key(item.key), item.object as KubeObject);
    this.sorted = undefined;
  }

  protected apply(change: ChangeRecord): void {
    if (this.namespace !== undefined && change.namespace !== this.namespace) return;
    const k = key(change);
    if (change.type === 'DELETED') this.items.delete(k);
    else this.items.set(k, change.object as KubeObject);
    this.sorted = undefined;
  }
}

function key(k: { namespace: string; name: string }): string {
  return `${k.namespace}/${k.name}`;
}
