/**
 * The node proxy (kube-proxy, in user space): one per agent process. It watches Services
 * and Endpoints cluster-wide with the node's credential and, for every TCP Service port,
 * listens on `clusterIP:port` (and `nodeIP:nodePort` for NodePort Services), forwarding
 * each connection to a ready endpoint on any node, round-robin (see balancer.ts), with
 * `sessionAffinity: ClientIP` honoured. A connection an endpoint refuses (or that does not
 * connect within the connect timeout) is tried on the next endpoint: no byte has been
 * exchanged yet, so the client never notices. Endpoint changes apply as their watch
 * events arrive; a Service's listeners close when it goes.
 *
 * Several agents may run on one host (tests, hollow nodes): an address another agent
 * already serves is in use here, which is logged once at info and retried every few
 * seconds, so that this agent takes over when the other one stops.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { proxyRules, type ProxyRule } from '@berth/core';
import type { ApiClient } from '../api-client';
import type { Logger } from '../log';
import { Balancer } from './balancer';
import { Informer, NoCredential, type TokenProvider } from './informer';

export interface ServiceProxyOptions {
  client: ApiClient;
  /** The node credential (see `tokenFromFile`). */
  token: TokenProvider;
  /** The node's address: where node ports are served. */
  nodeIP: string;
  log: Logger;
  /** How often a listen whose address is in use (or unavailable) is tried again. Default 2 s. */
  bindRetryMs?: number;
  /** An endpoint that has not accepted within this is skipped for the next. Default 3 s. */
  connectTimeoutMs?: number;
  /** Server-side watch timeout in seconds. Default 300. */
  watchTimeoutSeconds?: number;
}

export interface ProxyCounts {
  /** Connections accepted. */
  connections: number;
  /** Connections closed unanswered: no endpoint, or none of them could be reached. */
  failures: number;
  /** Endpoint attempts that failed before any byte was exchanged and moved on to the next. */
  retries: number;
}

export interface ProxyStats extends ProxyCounts {
  /** Per Service port (`namespace/name:portName`). */
  services: Record<string, ProxyCounts>;
  /** `address:port` served by this proxy. */
  listening: string[];
  /** `address:port` in use elsewhere (or not available), tried again periodically. */
  waiting: string[];
}

/** A TokenProvider reading the credential the node agent keeps in its state directory. */
export function tokenFromFile(file: string): TokenProvider {
  return async () => {
    let token = '';
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!token) throw new NoCredential(`no node credential in ${file} yet`);
    return token;
  };
}

const zero = (): ProxyCounts => ({ connections: 0, failures: 0, retries: 0 });

/** One Service port: its balancer and counts, shared by its cluster IP and node port listeners. */
interface ServicePort {
  rule: ProxyRule;
  balancer: Balancer;
  counts: ProxyCounts;
}

/** One listening address. */
class Frontend {
  private server?: net.Server;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private announcedWaiting = false;
  state: 'opening' | 'listening' | 'waiting' = 'opening';

  constructor(
    readonly address: string,
    readonly port: number,
    /** The Service port it serves (may change when the address is reused). */
    public servicePort: string,
    private readonly onConnection: (frontend: Frontend, socket: net.Socket) => void,
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {}

  get key(): string {
    return `${this.address}:${this.port}`;
  }

  open(): void {
    if (this.closed) return;
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) =>
      this.onConnection(this, socket),
    );
    this.server = server;
    server.once('listening', () => {
      if (this.closed) return void server.close();
      this.state = 'listening';
      this.log.info(
        this.announcedWaiting ? 'took over the service address' : 'listening for the service',
        { service: this.servicePort, address: this.key },
      );
      this.announcedWaiting = false;
      server.on('error', (err) =>
        this.log.warn('service listener failed', {
          service: this.servicePort,
          address: this.key,
          error: err.message,
        }),
      );
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (this.state === 'listening') return;
      this.state = 'waiting';
      this.server = undefined;
      if (!this.announcedWaiting) {
        this.announcedWaiting = true;
        const fields = {
          service: this.servicePort,
          address: this.key,
          error: err.code ?? err.message,
          retryMs: this.retryMs,
        };
        if (err.code === 'EADDRINUSE')
          this.log.info('service address in use (another agent on this host serves it?)', fields);
        else this.log.warn('cannot listen on the service address', fields);
      }
      if (!this.closed) this.retryTimer = setTimeout(() => this.open(), this.retryMs);
    });
    server.listen({ host: this.address, port: this.port });
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.server?.close();
    this.server = undefined;
  }
}

export class ServiceProxy {
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly services: Informer;
  private readonly endpoints: Informer;
  private readonly ports = new Map<string, ServicePort>();
  private readonly frontends = new Map<string, Frontend>();
  /** The frontend keys of each Service (`namespace/name`). */
  private readonly byService = new Map<string, Set<string>>();
  private readonly skippedLogged = new Set<string>();
  private readonly sockets = new Set<net.Socket>();
  private readonly totals = zero();
  private running?: Promise<unknown>;
  private expiryTimer?: NodeJS.Timeout;

  constructor(private readonly opts: ServiceProxyOptions) {
    this.log = opts.log.with({ component: 'service-proxy' });
    const common = {
      client: opts.client,
      token: opts.token,
      log: this.log,
      signal: this.abort.signal,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 300,
    };
    // Nothing is served until both lists are in: no listener without its endpoints.
    const ready = () => this.services.synced && this.endpoints.synced;
    const onChange = (key: string) => {
      if (ready()) this.sync(key);
    };
    const onSynced = () => {
      if (!ready()) return;
      for (const key of this.services.items.keys()) this.sync(key);
      this.log.info('service proxy synced', {
        services: this.services.items.size,
        listeners: this.frontends.size,
      });
    };
    this.services = new Informer({ ...common, path: '/api/v1/services', onChange, onSynced });
    this.endpoints = new Informer({ ...common, path: '/api/v1/endpoints', onChange, onSynced });
  }

  start(): void {
    if (this.running) return;
    this.running = Promise.all([this.services.run(), this.endpoints.run()]);
    this.expiryTimer = setInterval(() => {
      const now = Date.now();
      for (const p of this.ports.values()) p.balancer.expire(now);
    }, 60_000);
    this.expiryTimer.unref();
  }

  /** Closes every listener and connection, and stops watching. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    for (const f of this.frontends.values()) f.close();
    this.frontends.clear();
    for (const s of this.sockets) s.destroy();
    await this.running;
    this.log.info('service proxy stopped', { ...this.totals });
  }

  stats(): ProxyStats {
    const services: Record<string, ProxyCounts> = {};
    for (const [id, p] of this.ports) services[id] = { ...p.counts };
    const by = (state: Frontend['state']) =>
      [...this.frontends.values()].filter((f) => f.state === state).map((f) => f.key);
    return {
      ...this.totals,
      services,
      listening: by('listening'),
      waiting: by('waiting'),
    };
  }

  /** Brings the listeners and balancers of Service `key` in line with its objects. */
  private sync(key: string): void {
    if (this.abort.signal.aborted) return;
    const service = this.services.items.get(key);
    const { rules, skipped } = service
      ? proxyRules(service, this.endpoints.items.get(key), this.opts.nodeIP)
      : { rules: [], skipped: [] };
    for (const s of skipped)
      if (!this.skippedLogged.has(s.servicePort)) {
        this.skippedLogged.add(s.servicePort);
        this.log.info('service port not proxied', { service: s.servicePort, reason: s.reason });
      }
    const wanted = new Map<string, ProxyRule & { address: string; port: number }>();
    for (const rule of rules)
      for (const l of rule.listen) wanted.set(`${l.address}:${l.port}`, { ...rule, ...l });
    // Service ports: new balancers, or new endpoints for the existing ones.
    const prefix = `${key}:`;
    const ids = new Set(rules.map((r) => r.servicePort));
    for (const id of [...this.ports.keys()])
      if (id.startsWith(prefix) && !ids.has(id)) this.ports.delete(id);
    for (const rule of rules) {
      const existing = this.ports.get(rule.servicePort);
      if (existing) {
        const before = existing.rule.backends.length;
        existing.rule = rule;
        existing.balancer.update(rule.backends, rule.affinityTimeoutSeconds);
        if (before !== rule.backends.length)
          this.log.debug('endpoints changed', {
            service: rule.servicePort,
            backends: rule.backends.length,
          });
      } else {
        this.ports.set(rule.servicePort, {
          rule,
          balancer: new Balancer(rule.backends, rule.affinityTimeoutSeconds),
          counts: zero(),
        });
      }
    }
    // Listeners.
    for (const fk of this.byService.get(key) ?? []) {
      if (wanted.has(fk)) continue;
      const f = this.frontends.get(fk);
      // (An address another Service took over meanwhile stays.)
      if (f?.servicePort.startsWith(prefix)) {
        f.close();
        this.frontends.delete(fk);
        this.log.info('stopped listening for the service', { service: f.servicePort, address: fk });
      }
    }
    for (const [fk, w] of wanted) {
      const f = this.frontends.get(fk);
      if (f) {
        f.servicePort = w.servicePort;
        continue;
      }
      const created = new Frontend(
        w.address,
        w.port,
        w.servicePort,
        (frontend, socket) => this.accept(frontend, socket),
        this.opts.bindRetryMs ?? 2000,
        this.log,
      );
      this.frontends.set(fk, created);
      created.open();
    }
    if (wanted.size) this.byService.set(key, new Set(wanted.keys()));
    else this.byService.delete(key);
  }

  /** A client connected: forward it to an endpoint, trying the next ones while they fail. */
  private accept(frontend: Frontend, client: net.Socket): void {
    const port = this.ports.get(frontend.servicePort);
    const count = (what: keyof ProxyCounts) => {
      this.totals[what]++;
      if (port) port.counts[what]++;
    };
    count('connections');
    this.track(client);
    const clientIP = client.remoteAddress ?? '';
    const tried = new Set<string>();
    let upstream: net.Socket | undefined;
    let connected = false;
    client.on('error', () => undefined);
    client.once('close', (hadError) => {
      if (!upstream) return;
      // Gone while connecting, or reset: nothing more to send; else flush and half-close.
      if (!connected || hadError) upstream.destroy();
      else upstream.end();
    });
    const connect = (lastError?: string): void => {
      if (client.destroyed) return;
      const backend = port?.balancer.pick(clientIP, tried, Date.now());
      if (!backend) {
        count('failures');
        this.log.warn('connection not forwarded', {
          service: frontend.servicePort,
          address: frontend.key,
          client: clientIP,
          reason:
            tried.size === 0
              ? 'no ready endpoints'
              : `no endpoint could be reached (${tried.size} tried, last: ${lastError})`,
        });
        client.destroy();
        return;
      }
      if (tried.size > 0) count('retries');
      const target = `${backend.ip}:${backend.port}`;
      tried.add(target);
      const socket = net.connect({ host: backend.ip, port: backend.port, allowHalfOpen: true });
      upstream = socket;
      this.track(socket);
      socket.setTimeout(this.opts.connectTimeoutMs ?? 3000, () => {
        if (!connected)
          socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      });
      socket.once('connect', () => {
        connected = true;
        socket.setTimeout(0);
        client.pipe(socket);
        socket.pipe(client);
        client.resume();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (connected) return void client.destroy();
        // Nothing was exchanged yet: the client does not notice a retry.
        this.log.debug('endpoint failed; trying the next', {
          service: frontend.servicePort,
          endpoint: target,
          error: err.code ?? err.message,
        });
        connect(err.code ?? err.message);
      });
      socket.once('close', (hadError) => {
        if (!connected || client.destroyed) return;
        if (hadError) client.destroy();
        else client.end();
      });
    };
    connect();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
