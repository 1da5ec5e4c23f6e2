import type { AuditRecord } from '@berth/store';

/** What the writer reports, for the log and /metrics. */
export interface AuditWriterEvents {
  /** A write of `count` records failed (batch or single); they are kept for a retry. */
  writeFailed(err: Error, count: number, unavailable: boolean): void;
  /** `count` records were given up: `reason` is `buffer_full`, `rejected` or `shutdown`. */
  dropped(count: number, reason: 'buffer_full' | 'rejected' | 'shutdown', err?: Error): void;
  /** `count` records were written. */
  written(count: number): void;
}

export interface AuditWriterOptions {
  /** Writes records in one statement (in order). */
  write(records: AuditRecord[]): Promise<void>;
  /** Tells "the database is unreachable" (retry everything later) from "this record is bad". */
  isUnavailable(err: unknown): boolean;
  events: AuditWriterEvents;
  /** Records kept at most while they cannot be written; past it the newest are dropped. */
  maxBuffered?: number;
  /** Records written in one statement. */
  batchSize?: number;
  /** How long a record waits for others to share its statement. */
  flushMs?: number;
  /** Back-off between retries while the database is unreachable: from `retryMinMs`, doubling. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A record the database refuses (not an outage) this many times is dropped, logged. */
  maxAttempts?: number;
}

interface Pending {
  record: AuditRecord;
  attempts: number;
}

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/** A copy of `value` with NUL in every string (keys and values) replaced by U+FFFD. */
export function sanitize<T>(value: T, depth = 0): T {
  if (typeof value === 'string')
    return (value.includes(NUL) ? value.replaceAll(NUL, REPLACEMENT) : value) as T;
  if (value === null || typeof value !== 'object' || depth > 100 || value instanceof Date)
    return value;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[sanitize(k)] = sanitize(v, depth + 1);
  return out as T;
}

/**
 * The audit trail's write queue. Records are written in batches; a batch that fails is
 * written again one record at a time, so one bad record cannot take the others with it.
 * While the database is unreachable, records wait (bounded) and are retried with back-off
 * until written. Nothing goes without a count and a log line.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private timerAt = 0;
  /** The last write failed for the database being out: new records wait for the retry. */
  private failing = false;
  private running?: Promise<void>;
  private retryMs: number;
  private closed = false;
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly maxAttempts: number;

  constructor(private readonly opts: AuditWriterOptions) {
    this.maxBuffered = opts.maxBuffered ?? 100_000;
    this.batchSize = opts.batchSize ?? 200;
    this.flushMs = opts.flushMs ?? 100;
    this.retryMinMs = opts.retryMinMs ?? 100;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryMs = this.retryMinMs;
  }

  /** Records waiting to be written. */
  get buffered(): number {
    return this.queue.length;
  }

  push(record: AuditRecord): void {
    if (this.queue.length >= this.maxBuffered) {
      this.opts.events.dropped(1, 'buffer_full');
      return;
    }
    this.queue.push({ record: sanitize(record), attempts: 0 });
    if (this.failing) this.schedule(this.retryMs);
    else this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushMs);
  }

  /** Writes what waits now, once (a failure leaves the records queued, retried later). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.length) this.schedule(this.failing ? this.retryMs : 0);
    });
    return this.running;
  }

  /**
   * Stops taking timers and writes what waits, retrying until `deadlineMs` has passed;
   * what is still unwritten then is counted and logged as dropped.
   */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      await this.flush();
      if (!this.queue.length || Date.now() >= deadline) break;
      const wait = Math.min(this.retryMs, Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.queue.length) {
      this.opts.events.dropped(this.queue.length, 'shutdown');
      this.queue = [];
    }
  }

  /** Flushes in `ms` at the latest (an earlier flush already planned stands). */
  private schedule(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Writes batches from the head of the queue until it is empty or the database is out. */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.opts.write(batch.map((p) => p.record));
        this.queue.splice(0, batch.length);
        this.opts.events.written(batch.length);
        this.retryMs = this.retryMinMs;
        this.failing = false;
        continue;
      } catch (err) {
        const unavailable = this.opts.isUnavailable(err);
        this.opts.events.writeFailed(err as Error, batch.length, unavailable);
        if (unavailable) return this.backOff();
      }
      // One at a time: the good ones are written, the bad ones stay (or go, counted).
      const kept: Pending[] = [];
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        try {
          await this.opts.write([p.record]);
          this.opts.events.written(1);
        } catch (err) {
          if (this.opts.isUnavailable(err)) {
            this.opts.events.writeFailed(err as Error, batch.length - i, true);
            kept.push(...batch.slice(i));
            this.queue.splice(0, batch.length, ...kept);
            return this.backOff();
          }
          p.attempts++;
          this.opts.events.writeFailed(err as Error, 1, false);
          if (p.attempts >= this.maxAttempts) this.opts.events.dropped(1, 'rejected', err as Error);
          else kept.push(p);
        }
      }
      this.queue.splice(0, batch.length, ...kept);
      // Those kept are tried again later, with the back-off, not in a hot loop.
      if (kept.length) return this.backOff();
    }
  }

  private backOff(): void {
    if (this.failing) this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
    this.failing = true;
  }
}
