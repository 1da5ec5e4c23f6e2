import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of this API server process (its own registry, no globals). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'berth_apiserver_request_duration_seconds',
    help: 'Latency of API requests (excluding watches) by verb, resource and status code.',
    labelNames: ['verb', 'resource', 'subresource', 'code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'berth_apiserver_requests_total',
    help: 'API requests by verb, resource and status code.',
    labelNames: ['verb', 'resource', 'subresource', 'code'] as const,
    registers: [this.registry],
  });
  readonly longRunning = new Gauge({
    name: 'berth_apiserver_longrunning_requests',
    help: 'Open long-running requests (watches).',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_apiserver_' });
  }
}
