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

  readonly auditWriteFailures = new Counter({
    name: 'berth_apiserver_audit_write_failures_total',
    help: 'Failed writes of audit events (each kept for a retry unless counted as dropped), by cause: unavailable (the database) or rejected (the event).',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly auditEventsDropped = new Counter({
    name: 'berth_apiserver_audit_events_dropped_total',
    help: 'Audit events given up, by reason: buffer_full, rejected (refused too often), shutdown.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly auditEventsWritten = new Counter({
    name: 'berth_apiserver_audit_events_written_total',
    help: 'Audit events written to the database.',
    registers: [this.registry],
  });
  /** How many audit events wait to be written (set by the audit service). */
  auditBuffered: () => number = () => 0;
  readonly auditEventsBuffered: Gauge = new Gauge({
    name: 'berth_apiserver_audit_events_buffered',
    help: 'Audit events waiting to be written.',
    registers: [this.registry],
    collect: (): void => this.auditEventsBuffered.set(this.auditBuffered()),
  });

  constructor() {
    // Every series exists from the start (at 0), so an alert can watch it.
    for (const cause of ['unavailable', 'rejected']) this.auditWriteFailures.inc({ cause }, 0);
    for (const reason of ['buffer_full', 'rejected', 'shutdown'])
      this.auditEventsDropped.inc({ reason }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_apiserver_' });
  }
}
