/**
 * Prometheus metrics of one agent process (its own registry, no globals), served on
 * `--metrics-port` (BERTH_AGENT_METRICS_PORT) at 127.0.0.1, like the worker's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from '@berth/runtime';

export class AgentMetrics {
  readonly registry = new Registry();
  /** The runtimes to count pods in (set by the agent). */
  runtimes: Iterable<[string, Runtime]> = [];
  /** Proxied connections open now (set by the agent when the proxy runs). */
  proxyConnections: () => number = () => 0;

  readonly heartbeatDuration = new Histogram({
    name: 'berth_agent_heartbeat_duration_seconds',
    help: 'Latency of Lease renewals (heartbeats) by node and result (ok, error).',
    labelNames: ['node', 'result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly podStarts = new Counter({
    name: 'berth_agent_pod_starts_total',
    help: 'Pods the agent started in its runtime, by node and result (started, failed).',
    labelNames: ['node', 'result'] as const,
    registers: [this.registry],
  });
  readonly podsRunning: Gauge = new Gauge({
    name: 'berth_agent_pods_running',
    help: 'Pods in the runtime by node and phase.',
    labelNames: ['node', 'phase'] as const,
    registers: [this.registry],
    collect: async (): Promise<void> => {
      this.podsRunning.reset();
      this.containerRestarts.reset();
      for (const [node, runtime] of this.runtimes) {
        const pods = await runtime.listPods().catch(() => []);
        for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed'])
          this.podsRunning.set({ node, phase }, pods.filter((p) => p.phase === phase).length);
        const restarts = pods
          .flatMap((p) => p.containerStatuses)
          .reduce((n, c) => n + c.restartCount, 0);
        this.containerRestarts.set({ node }, restarts);
      }
    },
  });
  /** Set by podsRunning's collect (one runtime listing serves both). */
  readonly containerRestarts = new Gauge({
    name: 'berth_agent_container_restarts',
    help: "Restarts of the containers of the pods now in the runtime (their restartCount's sum), by node.",
    labelNames: ['node'] as const,
    registers: [this.registry],
  });
  readonly proxyConnectionsOpen: Gauge = new Gauge({
    name: 'berth_agent_proxy_connections',
    help: 'Connections the service proxy has open now.',
    registers: [this.registry],
    collect: (): void => this.proxyConnectionsOpen.set(this.proxyConnections()),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_agent_' });
  }
}

/** Serves `/metrics` and `/healthz` on 127.0.0.1:`port`; resolves with its URL. */
export async function serveMetrics(
  metrics: AgentMetrics,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(err.message);
        },
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
