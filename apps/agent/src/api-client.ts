/**
 * A small HTTP(S) client for the API server: JSON requests with a bearer token, and
 * Kubernetes watch streams (one JSON event per line). Each client is one keep-alive
 * connection pool, shared by every node of the process; the agent keeps separate ones for
 * heartbeats, pods and the service proxy (see agent.ts).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

/** The API could not be reached (connection refused or reset, timeout): retry later. */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  url: string;
  /** PEM CA certificate(s) for an HTTPS API server. */
  caFile?: string;
  /** A request without an answer within this is abandoned (not watches). Default 15 s. */
  timeoutMs?: number;
  /** Connections open at once, at most (requests beyond wait for one). Default: no limit. */
  maxSockets?: number;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export class ApiClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.base = new URL(opts.url);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    const maxSockets = opts.maxSockets ?? Infinity;
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets,
            ca: opts.caFile ? readFileSync(opts.caFile) : undefined,
          })
        : new http.Agent({ keepAlive: true, maxSockets });
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, opts.token, payload, opts.contentType, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new UnreachableError(err.message)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: body as T });
        });
      });
      req.setTimeout(opts.timeoutMs ?? this.timeoutMs, () =>
        req.destroy(new UnreachableError(`${method} ${path}: no answer in time`, 'ETIMEDOUT')),
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err instanceof UnreachableError
            ? err
            : new UnreachableError(`${method} ${path}: ${err.message}`, err.code),
        ),
      );
      req.end(payload);
    });
  }

  /**
   * Follows a watch until the server ends it (resolves), the connection fails or
   * `signal` aborts (rejects with UnreachableError), or `onEvent` throws. A non-200
   * answer resolves with its status so the caller can act on it (401, 403, 410).
   */
  watch(
    path: string,
    token: string,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
    idleTimeoutMs: number,
  ): Promise<ApiResponse<unknown>> {
    return new Promise((resolve, reject) => {
      // An abort that came before the watch started fires no event: check it now, or the
      // watch would run (and its caller wait) until the idle timeout.
      if (signal.aborted) {
        reject(new UnreachableError('watch stopped', 'ABORTED'));
        return;
      }
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(err);
      };
      const onAbort = () => fail(new UnreachableError('watch stopped', 'ABORTED'));
      signal.addEventListener('abort', onAbort, { once: true });
      const req = this.open('GET', path, token, undefined, undefined, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (err) {
              fail(err as Error);
              return;
            }
          }
        });
        res.on('error', (err) => fail(new UnreachableError(`watch: ${err.message}`)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          resolve({ status: 200, body: undefined });
        });
        res.on('close', () => fail(new UnreachableError('watch: connection closed')));
      });
      // A silent connection (a dead peer without a reset) is given up after this.
      req.setTimeout(idleTimeoutMs, () =>
        fail(new UnreachableError('watch: no data in time', 'ETIMEDOUT')),
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        fail(new UnreachableError(`watch: ${err.message}`, err.code)),
      );
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private open(
    method: string,
    path: string,
    token: string | undefined,
    payload: Buffer | undefined,
    contentType: string | undefined,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (payload) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const lib = url.protocol === 'https:' ? https : http;
    return lib.request(url, { method, headers, agent: this.agent }, onResponse);
  }
}
