/**
 * The agent's server for the API server (kubelet's `/containerLogs`): the API answers
 * `GET …/pods/{name}/log` by calling `GET /containerLogs/{ns}/{pod}/{container}` here.
 *
 * Only the API server may call it: every request carries a token the API signed with its
 * Ed25519 key (`<base64url claims>.<base64url signature>`), naming the node, pod, uid and
 * container, valid for a minute. The public key comes from the API's
 * `GET /auth/kubelet-client-key` and is fetched again (at most every 10 s) when a token
 * does not verify, so a rotated key is picked up.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '@berth/runtime';
import type { ApiClient } from './api-client';
import type { Logger } from './log';

export interface KubeletClaims {
  node: string;
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  exp: number;
}

export interface LogServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** The runtime of each node this process runs, by node name. */
  runtimes: Map<string, Runtime>;
  client: ApiClient;
  log: Logger;
}

const KEY_REFETCH_MS = 10_000;

function status(res: http.ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}

/** The claims of a token signed by `key`, or undefined when it is not one. */
export function verifyKubeletToken(
  token: string,
  key: KeyObject,
  nowMs = Date.now(),
): KubeletClaims | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  let ok = false;
  try {
    ok = verify(null, Buffer.from(payload), key, Buffer.from(signature, 'base64url'));
  } catch {
    return undefined;
  }
  if (!ok) return undefined;
  let claims: KubeletClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as KubeletClaims;
  } catch {
    return undefined;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < nowMs) return undefined;
  return claims;
}

const int = (v: string | null): number | undefined =>
  v !== null && /^\d+$/.test(v) ? Number(v) : undefined;

export class LogServer {
  private readonly server: http.Server;
  private key?: KeyObject;
  private keyFetchedAt = 0;
  private keyFetch?: Promise<KeyObject | undefined>;

  constructor(private readonly opts: LogServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        opts.log.warn('log request failed', { error: err.message });
        status(res, 500, 'InternalError', err.message);
      });
    });
  }

  /** Listens; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async publicKey(refresh: boolean): Promise<KeyObject | undefined> {
    if (this.key && (!refresh || Date.now() - this.keyFetchedAt < KEY_REFETCH_MS)) return this.key;
    this.keyFetch ??= (async () => {
      try {
        const res = await this.opts.client.request<{ publicKey?: string }>(
          'GET',
          '/auth/kubelet-client-key',
        );
        if (res.status === 200 && res.body?.publicKey) {
          this.key = createPublicKey(res.body.publicKey);
          this.keyFetchedAt = Date.now();
        }
      } catch (err) {
        this.opts.log.warn('could not fetch the API server key', {
          error: (err as Error).message,
        });
      } finally {
        this.keyFetch = undefined;
      }
      return this.key;
    })();
    return this.keyFetch;
  }

  private async claims(req: http.IncomingMessage): Promise<KubeletClaims | undefined> {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token) return undefined;
    const key = await this.publicKey(false);
    const claims = key && verifyKubeletToken(token, key);
    if (claims) return claims;
    const fresh = await this.publicKey(true);
    return fresh && fresh !== key ? verifyKubeletToken(token, fresh) : undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      status(res, 404, 'NotFound', `no such endpoint: ${req.method} ${url.pathname}`);
      return;
    }
    const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
    const claims = await this.claims(req);
    if (!claims) {
      status(res, 401, 'Unauthorized', 'only the API server may read logs from a node agent');
      return;
    }
    const uid = url.searchParams.get('podUID') ?? claims.uid;
    if (
      claims.namespace !== namespace ||
      claims.pod !== pod ||
      claims.container !== container ||
      claims.uid !== uid
    ) {
      status(res, 403, 'Forbidden', 'the token was issued for another container');
      return;
    }
    const runtime = this.opts.runtimes.get(claims.node);
    if (!runtime) {
      status(res, 404, 'NotFound', `node "${claims.node}" is not run by this agent`);
      return;
    }
    if (!runtime.podStatus(uid)) {
      status(res, 404, 'NotFound', `pod "${pod}" is not running on node "${claims.node}"`);
      return;
    }
    const q = url.searchParams;
    let stream;
    try {
      stream = await runtime.logs(uid, {
        container,
        follow: q.get('follow') === 'true',
        tailLines: int(q.get('tailLines')),
        sinceSeconds: int(q.get('sinceSeconds')),
        timestamps: q.get('timestamps') === 'true',
        previous: q.get('previous') === 'true',
      });
    } catch (err) {
      // kubelet answers "waiting to start" and "previous … not found" as 400s.
      status(res, 400, 'BadRequest', (err as Error).message);
      return;
    }
    const limitBytes = int(q.get('limitBytes'));
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    let sent = 0;
    stream.on('data', (chunk: Buffer | string) => {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      if (limitBytes !== undefined && sent + buf.length >= limitBytes) {
        res.end(buf.subarray(0, limitBytes - sent));
        stream.destroy();
        return;
      }
      sent += buf.length;
      if (!res.write(buf)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => res.end());
    stream.on('error', (err: Error) => {
      this.opts.log.warn('log stream failed', { pod: `${namespace}/${pod}`, error: err.message });
      res.end();
    });
    res.on('close', () => stream.destroy());
  }
}
