import { Client } from 'pg';
import { poolConfig } from './database';
import { StoreError } from './errors';
import { CHANGES_CHANNEL, type ObjectRepository } from './object.repository';
import type { ChangeRecord } from './types';

const PAGE = 1000;

export interface ChangeFeedOptions {
  databaseUrl: string;
  /** Safety re-read when no NOTIFY arrived for this long (not a hot loop). Default 5 s. */
  idleReadMs?: number;
  /** Called when the LISTEN connection fails (it reconnects by itself). */
  onError?: (err: Error) => void;
}

/**
 * Narrows which changes of a resource reach a subscriber to those whose indexed value
 * (e.g. a pod's `spec.nodeName`) equals `value` now or did at the object's previous
 * change, so that 1,000 node agents watching their own pods are not each handed every
 * pod change. Only an optimisation: the subscriber still filters what it gets.
 */
export interface FeedIndex {
  /** Names the indexer: subscribers with the same name must use the same `valueOf`. */
  name: string;
  value: string;
  valueOf(change: ChangeRecord): string | undefined;
}

export interface FeedSubscriber {
  /** Only changes to this resource (e.g. `pods`) are delivered. */
  resource?: string;
  /** Only changes with this index value (needs `resource`). */
  index?: FeedIndex;
  /** Called in revision order, without gaps in what was committed for the resource. */
  onChange(change: ChangeRecord): void;
  /** Called once when the subscriber can no longer be served (e.g. compaction overtook it). */
  onError(err: Error): void;
}

export interface Subscription {
  close(): void;
}

interface Entry extends FeedSubscriber {
  live: boolean;
  lastSent: bigint;
  buffer: ChangeRecord[];
  closed: boolean;
}

/** One indexer of a resource: its subscribers by value, and each object's last value. */
interface IndexEntries {
  valueOf(change: ChangeRecord): string | undefined;
  byValue: Map<string, Set<Entry>>;
  /** `namespace/name` → the value at the object's last change seen since the index began. */
  last: Map<string, string | undefined>;
  size: number;
}

/** The subscribers of one resource: plain ones, and indexed ones by indexer name. */
interface ResourceEntries {
  plain: Set<Entry>;
  indexes: Map<string, IndexEntries>;
}

/**
 * One reader of the change log per process, fanned out to any number of subscribers
 * (watches, controllers). Postgres LISTEN/NOTIFY is only a wake-up hint: the feed always
 * reads the change log from the last revision it dispatched, so nothing is lost when a
 * notification is missed or the LISTEN connection drops.
 */
export class ChangeFeed {
  private client?: Client;
  private lastDispatched = 0n;
  private readonly entries = new Set<Entry>();
  /** Subscribers without a resource filter: they get every change. */
  private readonly everything = new Set<Entry>();
  private readonly byResource = new Map<string, ResourceEntries>();
  /** Reads of the change log begun so far (numbers them). */
  private readsBegun = 0;
  private waiters: Array<{ afterRead: number; resolve: (caughtUp: boolean) => void }> = [];
  private reading?: Promise<void>;
  private again = false;
  private idleTimer?: NodeJS.Timeout;
  private stopped = false;
  private reconnectDelay = 100;

  constructor(
    private readonly repo: ObjectRepository,
    private readonly opts: ChangeFeedOptions,
  ) {}

  async start(): Promise<void> {
    const { current } = await this.repo.revision();
    this.lastDispatched = current;
    await this.connect();
    this.armIdleTimer();
  }

  /** The newest revision this feed has dispatched to live subscribers. */
  get revision(): bigint {
    return this.lastDispatched;
  }

  /**
   * Resolves true once every change committed before this call has been dispatched (so
   * caches fed by this feed are at least that current): a read of the change log begun
   * after the call reached its end. False if that takes longer than `timeoutMs`.
   */
  caughtUp(timeoutMs = 5000): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        afterRead: this.readsBegun,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiters.push(waiter);
      this.poke();
    });
  }

  /**
   * Subscribes to every change after `fromRevision`. Past changes are read from the
   * change log first, then live ones follow without gaps or duplicates.
   * Throws StoreError('Expired') if `fromRevision` was compacted away.
   */
  async subscribe(fromRevision: bigint, subscriber: FeedSubscriber): Promise<Subscription> {
    const entry: Entry = {
      ...subscriber,
      live: false,
      lastSent: fromRevision,
      buffer: [],
      closed: false,
    };
    this.add(entry);
    const close = () => {
      entry.closed = true;
      this.remove(entry);
    };
    try {
      for (;;) {
        const page = await this.repo.changesAfter(entry.lastSent, PAGE, entry.resource);
        for (const change of page) {
          if (entry.closed) return { close };
          entry.lastSent = change.revision;
          entry.onChange(change);
        }
        if (page.length < PAGE) break;
      }
    } catch (err) {
      close();
      throw err;
    }
    for (const change of entry.buffer) {
      if (entry.closed) break;
      if (change.revision <= entry.lastSent) continue;
      entry.lastSent = change.revision;
      entry.onChange(change);
    }
    entry.buffer = [];
    entry.live = true;
    return { close };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.reading;
    for (const entry of [...this.entries]) this.remove(entry);
  }

  private add(entry: Entry): void {
    this.entries.add(entry);
    if (!entry.resource) {
      this.everything.add(entry);
      return;
    }
    let r = this.byResource.get(entry.resource);
    if (!r) {
      r = { plain: new Set(), indexes: new Map() };
      this.byResource.set(entry.resource, r);
    }
    if (!entry.index) {
      r.plain.add(entry);
      return;
    }
    let idx = r.indexes.get(entry.index.name);
    if (!idx) {
      idx = { valueOf: entry.index.valueOf, byValue: new Map(), last: new Map(), size: 0 };
      r.indexes.set(entry.index.name, idx);
    }
    let set = idx.byValue.get(entry.index.value);
    if (!set) {
      set = new Set();
      idx.byValue.set(entry.index.value, set);
    }
    set.add(entry);
    idx.size++;
  }

  private remove(entry: Entry): void {
    if (!this.entries.delete(entry)) return;
    if (!entry.resource) {
      this.everything.delete(entry);
      return;
    }
    const r = this.byResource.get(entry.resource);
    if (!r) return;
    if (!entry.index) {
      r.plain.delete(entry);
    } else {
      const idx = r.indexes.get(entry.index.name);
      const set = idx?.byValue.get(entry.index.value);
      if (idx && set?.delete(entry)) {
        idx.size--;
        if (!set.size) idx.byValue.delete(entry.index.value);
        if (!idx.size) r.indexes.delete(entry.index.name);
      }
    }
    if (!r.plain.size && !r.indexes.size) this.byResource.delete(entry.resource);
  }

  /** Wakes the reader (also called on NOTIFY). */
  poke(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readLoop().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const read = ++this.readsBegun;
        const page = await this.repo.changesAfter(this.lastDispatched, PAGE);
        for (const change of page) this.dispatch(change);
        if (page.length < PAGE) this.wakeWaiters(read);
        if (page.length < PAGE || this.stopped) break;
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Expired') {
        // The feed fell behind compaction: every subscriber must re-list.
        const { current } = await this.repo.revision();
        for (const entry of [...this.entries]) {
          this.remove(entry);
          entry.onError(err);
        }
        this.lastDispatched = current;
      } else {
        this.opts.onError?.(err as Error);
      }
    }
    this.armIdleTimer();
  }

  /** A read numbered `read` reached the end of the log: wake who waited for it. */
  private wakeWaiters(read: number): void {
    if (!this.waiters.length) return;
    const done = this.waiters.filter((w) => read > w.afterRead);
    if (!done.length) return;
    this.waiters = this.waiters.filter((w) => read <= w.afterRead);
    for (const w of done) w.resolve(true);
  }

  private dispatch(change: ChangeRecord): void {
    this.lastDispatched = change.revision;
    for (const entry of this.everything) this.deliver(entry, change);
    const r = this.byResource.get(change.resource);
    if (!r) return;
    for (const entry of r.plain) this.deliver(entry, change);
    for (const idx of r.indexes.values()) {
      const key = `${change.namespace}/${change.name}`;
      const value = idx.valueOf(change);
      const known = idx.last.has(key);
      const previous = idx.last.get(key);
      if (change.type === 'DELETED') idx.last.delete(key);
      else idx.last.set(key, value);
      if (!known && change.type !== 'ADDED') {
        // Its value before is unknown (the object predates the index): everyone looks.
        for (const set of [...idx.byValue.values()])
          for (const entry of set) this.deliver(entry, change);
        continue;
      }
      const now = value === undefined ? undefined : idx.byValue.get(value);
      if (now) for (const entry of now) this.deliver(entry, change);
      if (previous !== undefined && previous !== value) {
        const before = idx.byValue.get(previous);
        if (before) for (const entry of before) this.deliver(entry, change);
      }
    }
  }

  private deliver(entry: Entry, change: ChangeRecord): void {
    if (!entry.live) {
      entry.buffer.push(change);
      return;
    }
    if (change.revision <= entry.lastSent) return;
    entry.lastSent = change.revision;
    try {
      entry.onChange(change);
    } catch (err) {
      this.remove(entry);
      entry.onError(err as Error);
    }
  }

  private armIdleTimer(): void {
    if (this.stopped) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.poke(), this.opts.idleReadMs ?? 5000);
    this.idleTimer.unref();
  }

  private async connect(): Promise<void> {
    const client = new Client(poolConfig(this.opts.databaseUrl));
    client.on('notification', () => this.poke());
    client.on('error', (err) => {
      this.opts.onError?.(err);
      if (this.client === client) {
        this.client = undefined;
        void client.end().catch(() => undefined);
        this.scheduleReconnect();
      }
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.client = client;
    this.reconnectDelay = 100;
    // Anything committed while we were not listening is read now.
    this.poke();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5000);
    setTimeout(() => {
      this.connect().catch((err) => {
        this.opts.onError?.(err as Error);
        this.scheduleReconnect();
      });
    }, delay).unref();
  }
}
