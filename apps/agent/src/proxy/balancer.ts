/**
 * Which backend a new connection to a Service port goes to: round-robin over the ready
 * endpoints (every connection advances the turn, so N connections spread evenly over N
 * backends whatever their length — least-connections would favour fast backends, but
 * needs per-connection bookkeeping across retries for little gain at this scale), with
 * `sessionAffinity: ClientIP` pinning a client address to its backend until it has been
 * idle for the timeout (or the backend is gone or failed). Pure: time is passed in.
 */
import { backendKey, type Backend } from '@berth/core';

interface Affinity {
  backend: string;
  lastUsedMs: number;
}

export class Balancer {
  private backends: Backend[] = [];
  private keys = new Set<string>();
  private next = 0;
  private readonly affinity = new Map<string, Affinity>();
  private affinityTimeoutMs?: number;

  constructor(backends: Backend[] = [], affinityTimeoutSeconds?: number) {
    this.update(backends, affinityTimeoutSeconds);
  }

  /** New endpoints (the turn carries on; affinities to backends that are gone are dropped). */
  update(backends: Backend[], affinityTimeoutSeconds?: number): void {
    this.backends = [...backends];
    this.keys = new Set(backends.map(backendKey));
    this.affinityTimeoutMs =
      affinityTimeoutSeconds === undefined ? undefined : affinityTimeoutSeconds * 1000;
    if (this.affinityTimeoutMs === undefined) this.affinity.clear();
    for (const [client, a] of this.affinity)
      if (!this.keys.has(a.backend)) this.affinity.delete(client);
  }

  get size(): number {
    return this.backends.length;
  }

  /**
   * The backend for a connection from `clientIP`, leaving out those in `exclude` (tried
   * already for this connection); undefined when none is left.
   */
  pick(clientIP: string, exclude: ReadonlySet<string>, nowMs: number): Backend | undefined {
    if (this.affinityTimeoutMs !== undefined) {
      const a = this.affinity.get(clientIP);
      if (a && nowMs - a.lastUsedMs <= this.affinityTimeoutMs && !exclude.has(a.backend)) {
        const b = this.backends.find((x) => backendKey(x) === a.backend);
        if (b) {
          a.lastUsedMs = nowMs;
          return b;
        }
      }
    }
    const n = this.backends.length;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.next + i) % n];
      if (exclude.has(backendKey(b))) continue;
      this.next = (this.next + i + 1) % n;
      if (this.affinityTimeoutMs !== undefined)
        this.affinity.set(clientIP, { backend: backendKey(b), lastUsedMs: nowMs });
      return b;
    }
    return undefined;
  }

  /** Drops affinities idle past the timeout (called now and then; bounded memory). */
  expire(nowMs: number): void {
    if (this.affinityTimeoutMs === undefined) return;
    for (const [client, a] of this.affinity)
      if (nowMs - a.lastUsedMs > this.affinityTimeoutMs) this.affinity.delete(client);
  }
}
