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

export interface FeedSubscriber {
  /** Only changes to this resource (e.g. `pods`) are delivered. */
  resource?: string;
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
    this.entries.add(entry);
    const close = () => {
      entry.closed = true;
      this.entries.delete(entry);
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
    this.entries.clear();
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
        const page = await this.repo.changesAfter(this.lastDispatched, PAGE);
        for (const change of page) this.dispatch(change);
        if (page.length < PAGE || this.stopped) break;
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Expired') {
        // The feed fell behind compaction: every subscriber must re-list.
        const { current } = await this.repo.revision();
        for (const entry of [...this.entries]) {
          this.entries.delete(entry);
          entry.onError(err);
        }
        this.lastDispatched = current;
      } else {
        this.opts.onError?.(err as Error);
      }
    }
    this.armIdleTimer();
  }

  private dispatch(change: ChangeRecord): void {
    this.lastDispatched = change.revision;
    for (const entry of this.entries) {
      if (entry.resource && entry.resource !== change.resource) continue;
      if (!entry.live) {
        entry.buffer.push(change);
        continue;
      }
      if (change.revision <= entry.lastSent) continue;
      entry.lastSent = change.revision;
      try {
        entry.onChange(change);
      } catch (err) {
        this.entries.delete(entry);
        entry.onError(err as Error);
      }
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
