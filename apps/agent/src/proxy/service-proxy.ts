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
 *
 * Descriptors are budgeted (see fd-budget.ts), so that no Service can take the agent's
 * heartbeats down with it: at most `maxListeners` listeners, given to whole Services,
 * oldest first (libs/core `planListenerBudget`); a Service left out gets a Warning Event
 * `ProxyListenerBudgetExceeded` saying which node does not serve which ports and why, and
 * is served as soon as it fits again. At most `maxConnections` proxied connections are
 * open at once; a connection beyond that is closed at once. Out of descriptors anyway
 * (EMFILE/ENFILE on listen or accept), the proxy logs it and retries; it never crashes.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import {
  budgetCandidate,
  eventFor,
  involvedObjectOf,
  planListenerBudget,
  proxyRules,
  type BudgetCandidate,
  type EventSpec,
  type KubeObject,
  type ProxyRule,
} from '@berth/core';
import type { ApiClient } from '../api-client';
import type { Logger } from '../log';
import { Backoff } from '../backoff';
import { Balancer } from './balancer';
import { Frontend } from './frontend';
import { Informer, NoCredential, sleep, type TokenProvider } from './informer';

export interface ServiceProxyOptions {
  client: ApiClient;
  /** The node credential (see `tokenFromFile`). */
  token: TokenProvider;
  /** The node's address: where node ports are served. */
  nodeIP: string;
  /** The node whose credential the proxy uses: named in its Events. */
  nodeName: string;
  log: Logger;
  /** Listeners (cluster IP ports and node ports) at most, for whole Services. Default 2048. */
  maxListeners?: number;
  /** Proxied connections open at once, at most; more are closed at once. Default 1024. */
  maxConnections?: number;
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
  /** Services (`namespace/name`) not served: their listeners do not fit in the budget. */
  overBudget: string[];
  /** Listeners the served Services take, of `maxListeners`. */
  listenersPlanned: number;
  maxListeners: number;
  /** Proxied connections open now, of `maxConnections`. */
  activeConnections: number;
  maxConnections: number;
  /** Connections closed at once because `maxConnections` were open. */
  overLimit: number;
}

/** The Event reason for a Service a node proxy leaves out (its listeners do not fit). */
export const OVER_BUDGET_REASON = 'ProxyListenerBudgetExceeded';
/** The reporting component of the proxy's Events, as Kubernetes' kube-proxy names itself. */
export const PROXY_COMPONENT = 'kube-proxy';

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

  private readonly maxListeners: number;
  private readonly maxConnections: number;
  /** The Services served (within the listener budget), and the listeners they take. */
  private served = new Set<string>();
  private planned = 0;
  /** The Services left out, with the listeners they need and what was free. */
  private overBudget = new Map<string, { listeners: number; free: number }>();
  /** Each Service's listener count, by resourceVersion (recomputed only when it changed). */
  private readonly candidates = new Map<string, { rv: string; candidate: BudgetCandidate }>();
  /** The over-budget message last recorded (or queued) per Service: one Event per change. */
  private readonly reported = new Map<string, string>();
  /** Events waiting to be posted, one per Service (the latest wins); posted one at a time. */
  private readonly pendingEvents = new Map<string, EventSpec>();
  private draining = false;
  private eventFailureLogged = false;
  private activeClients = 0;
  private overLimit = 0;
  private overLimitLoggedAt = 0;

  constructor(private readonly opts: ServiceProxyOptions) {
    this.log = opts.log.with({ component: 'service-proxy' });
    this.maxListeners = opts.maxListeners ?? 2048;
    this.maxConnections = opts.maxConnections ?? 1024;
    const common = {
      client: opts.client,
      token: opts.token,
      log: this.log,
      signal: this.abort.signal,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 300,
    };
    // Nothing is served until both lists are in: no listener without its endpoints.
    const ready = () => this.services.synced && this.endpoints.synced;
    // A Service that changes may change which Services fit: plan again, then bring every
    // Service whose place changed in line, and this one.
    const onServiceChange = (key: string) => {
      if (!ready()) return;
      const changed = this.plan();
      changed.add(key);
      // Listeners of Services left out close before those of Services let in open.
      for (const k of changed) if (!this.served.has(k)) this.sync(k);
      for (const k of changed) if (this.served.has(k)) this.sync(k);
    };
    const onEndpointsChange = (key: string) => {
      if (ready()) this.sync(key);
    };
    const onSynced = () => {
      if (!ready()) return;
      this.plan();
      for (const key of this.services.items.keys()) this.sync(key);
      this.log.info('service proxy synced', {
        services: this.services.items.size,
        listeners: this.frontends.size,
        maxListeners: this.maxListeners,
        overBudget: this.overBudget.size,
      });
    };
    this.services = new Informer({
      ...common,
      path: '/api/v1/services',
      onChange: onServiceChange,
      onSynced,
    });
    this.endpoints = new Informer({
      ...common,
      path: '/api/v1/endpoints',
      onChange: onEndpointsChange,
      onSynced,
    });
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
      overBudget: [...this.overBudget.keys()],
      listenersPlanned: this.planned,
      maxListeners: this.maxListeners,
      activeConnections: this.activeClients,
      maxConnections: this.maxConnections,
      overLimit: this.overLimit,
    };
  }

  /**
   * Decides which Services fit in the listener budget (whole Services, oldest first) and
   * records an Event for each one newly left out. Returns the Services whose place changed.
   */
  private plan(): Set<string> {
    const all: BudgetCandidate[] = [];
    for (const [key, service] of this.services.items) {
      const rv = service.metadata.resourceVersion ?? '';
      let cached = this.candidates.get(key);
      if (!cached || cached.rv !== rv) {
        cached = { rv, candidate: budgetCandidate(service, this.opts.nodeIP) };
        this.candidates.set(key, cached);
      }
      all.push(cached.candidate);
    }
    for (const key of [...this.candidates.keys()])
      if (!this.services.items.has(key)) this.candidates.delete(key);
    const plan = planListenerBudget(all, this.maxListeners);
    const changed = new Set<string>();
    for (const key of plan.served) if (!this.served.has(key)) changed.add(key);
    for (const key of this.served) if (!plan.served.has(key)) changed.add(key);
    const before = this.overBudget;
    this.served = plan.served;
    this.planned = plan.used;
    this.overBudget = new Map(plan.refused.map((r) => [r.key, r]));
    for (const r of plan.refused) this.reportOverBudget(r.key, r);
    for (const key of before.keys()) {
      if (this.overBudget.has(key)) continue;
      this.reported.delete(key);
      this.pendingEvents.delete(key);
      if (this.services.items.has(key))
        this.log.info('the service fits in the listener budget again; serving it', {
          service: key,
        });
    }
    return changed;
  }

  /** Logs and records (once per distinct message) why Service `key` is not served here. */
  private reportOverBudget(key: string, r: { listeners: number; free: number }): void {
    const service = this.services.items.get(key);
    if (!service) return;
    const message = overBudgetMessage(service, this.opts.nodeName, r, this.maxListeners);
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.log.warn('service not served: over the listener budget', {
      service: key,
      listeners: r.listeners,
      free: r.free,
      maxListeners: this.maxListeners,
    });
    this.pendingEvents.set(key, {
      type: 'Warning',
      reason: OVER_BUDGET_REASON,
      message,
      involvedObject: involvedObjectOf(service),
      source: { component: PROXY_COMPONENT, host: this.opts.nodeName },
    });
    void this.drainEvents();
  }

  /** Posts the pending Events one at a time (so a burst opens one connection), retrying. */
  private async drainEvents(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const backoff = new Backoff(500, 30_000);
    try {
      while (!this.abort.signal.aborted && this.pendingEvents.size > 0) {
        const [key, spec] = this.pendingEvents.entries().next().value as [string, EventSpec];
        try {
          await this.postEvent(spec);
          if (this.pendingEvents.get(key) === spec) this.pendingEvents.delete(key);
          backoff.reset();
          this.eventFailureLogged = false;
        } catch (err) {
          if (this.abort.signal.aborted) return;
          if (!(err instanceof NoCredential) && !this.eventFailureLogged) {
            this.eventFailureLogged = true;
            this.log.warn('could not record an event; retrying', {
              service: key,
              error: (err as Error).message,
            });
          }
          await sleep(backoff.next(), this.abort.signal);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Creates the Event (or, when one with its name exists, bumps its lastTimestamp). */
  private async postEvent(spec: EventSpec): Promise<void> {
    const token = await this.opts.token();
    const event = eventFor(spec, undefined, new Date());
    const ns = encodeURIComponent(event.metadata.namespace ?? 'default');
    const created = await this.opts.client.request('POST', `/api/v1/namespaces/${ns}/events`, {
      token,
      body: event,
    });
    if (created.status === 201 || created.status === 200) return;
    if (created.status === 409) {
      // The same event, recorded before this agent (re)started: count it as seen again.
      const name = encodeURIComponent(event.metadata.name ?? '');
      const patched = await this.opts.client.request(
        'PATCH',
        `/api/v1/namespaces/${ns}/events/${name}`,
        {
          token,
          body: { lastTimestamp: event.lastTimestamp },
          contentType: 'application/merge-patch+json',
        },
      );
      if (patched.status === 200) return;
      throw new Error(`patch the event: ${patched.status}`);
    }
    // The namespace is going away (or the Service with it): nothing to record.
    if (created.status === 403 || created.status === 404) return;
    throw new Error(`create the event: ${created.status}`);
  }

  /** Brings the listeners and balancers of Service `key` in line with its objects. */
  private sync(key: string): void {
    if (this.abort.signal.aborted) return;
    const service = this.services.items.get(key);
    const found = service
      ? proxyRules(service, this.endpoints.items.get(key), this.opts.nodeIP)
      : { rules: [], skipped: [] };
    const { skipped } = found;
    // A Service over the listener budget is served nowhere on this node (not half of it).
    const rules = this.served.has(key) ? found.rules : [];
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
    if (this.activeClients >= this.maxConnections) {
      // Every connection holds two descriptors (client and endpoint): beyond the budget,
      // close at once rather than let the agent run out of them.
      this.overLimit++;
      count('failures');
      const now = Date.now();
      if (now - this.overLimitLoggedAt >= 10_000) {
        this.overLimitLoggedAt = now;
        this.log.warn('connection closed: the proxy has its most connections open', {
          service: frontend.servicePort,
          maxConnections: this.maxConnections,
          closedSoFar: this.overLimit,
        });
      }
      client.destroy();
      return;
    }
    this.activeClients++;
    client.once('close', () => this.activeClients--);
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

/** How many ports an Event lists before "and N more". */
const LISTED_PORTS = 5;

/** The Warning's message: which node does not serve which ports of the Service, and why. */
export function overBudgetMessage(
  service: KubeObject,
  nodeName: string,
  r: { listeners: number; free: number },
  maxListeners: number,
): string {
  // (With no node address, a node port's listener is the one without an address.)
  const ports = proxyRules(service, undefined, '')
    .rules.flatMap((rule) => rule.listen)
    .map((l) => (l.address ? `${l.port}/TCP` : `node port ${l.port}/TCP`));
  const listed = ports.slice(0, LISTED_PORTS).join(', ');
  const more = ports.length > LISTED_PORTS ? ` and ${ports.length - LISTED_PORTS} more` : '';
  const why =
    r.listeners > maxListeners
      ? `it needs ${r.listeners} listeners, more than the node proxy's budget of ${maxListeners}`
      : `it needs ${r.listeners} listeners and only ${r.free} of the node proxy's ${maxListeners} are free (older Services hold the rest)`;
  return (
    `node "${nodeName}" does not serve this Service: ${why}; ` +
    `not served: ${listed}${more} (whole Services are served, oldest first; ` +
    `the budget is the agent's --proxy-max-listeners, at most a quarter of its open-file limit)`
  );
}
