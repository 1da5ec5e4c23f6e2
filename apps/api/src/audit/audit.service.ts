import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  membershipsOf,
  TENANCY_GROUP,
  TENANT_LABEL,
  type KubeObject,
  type RequestInfo,
} from '@berth/core';
import { AuditRepository, type AuditRecord, type PrismaClient } from '@berth/store';
import { isUnavailable } from '../common/status-exception.filter';
import { MetricsService } from '../metrics/metrics.service';
import { callerOf } from '../auth/authorizer';
import { PolicyCache } from '../auth/policy-cache';
import type { Principal } from '../auth/principal';
import { PRISMA } from '../store/store.module';
import { AuditWriter } from './audit-writer';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Audit events kept at most while the database cannot take them. */
const MAX_BUFFERED = 100_000;
/** How long a shutdown keeps trying to write what waits. */
const SHUTDOWN_FLUSH_MS = 5000;

/** Kinds whose before and after go into the trail (quotas, memberships, roles, bindings). */
const TRACKED = new Set([
  '/namespaces',
  '/resourcequotas',
  '/limitranges',
  `${TENANCY_GROUP}/tenants`,
  `${TENANCY_GROUP}/quotarequests`,
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/rolebindings',
  'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/clusterrolebindings',
]);

/** Kinds whose bodies never enter the trail, whatever a handler notes (metadata only). */
const NEVER_BODIES = new Set(['/secrets']);

export function tracked(group: string, resource: string): boolean {
  const key = `${group}/${resource}`;
  return TRACKED.has(key) && !NEVER_BODIES.has(key);
}

/** What a request handler tells the audit trail (in `res.locals.audit`). */
export interface AuditNote {
  name?: string;
  before?: KubeObject;
  after?: KubeObject;
}

/**
 * A node agent's heartbeat stream, which Kubernetes' recommended audit policies leave out
 * (level None for system:nodes' node and pod status updates): its Lease renewals, its
 * Node status and its pods' status, when they succeed. 1,000 nodes would otherwise add
 * 100 rows a second to the trail, about 8.6 million a day, saying only "still alive".
 * A refused or failed one is still recorded.
 */
/**
 * Reads are not recorded, except a person reading one Secret (the dashboard's Reveal, or
 * `kubectl get secret x -o yaml`): who saw which credential is on the trail (verb get,
 * never the body). Lists and watches, and the agents' and ServiceAccounts' reads, are not.
 */
export function isSecretRead(principal: Principal | undefined, info: RequestInfo | undefined) {
  return (
    principal?.kind === 'user' &&
    !!info?.isResourceRequest &&
    info.verb === 'get' &&
    info.group === '' &&
    info.resource === 'secrets' &&
    !info.subresource
  );
}

export function isHeartbeat(
  principal: Principal | undefined,
  info: RequestInfo | undefined,
  code: number,
): boolean {
  if (principal?.kind !== 'node' || !info?.isResourceRequest || code >= 400) return false;
  if (info.group === 'coordination.k8s.io' && info.resource === 'leases') return true;
  return (
    info.group === '' &&
    info.subresource === 'status' &&
    (info.resource === 'nodes' || info.resource === 'pods')
  );
}

function verbOf(method: string): string {
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method;
}

/**
 * Records every mutating request once its response is sent: who, when, what, the outcome,
 * and for tracked kinds the object before and after. Tenant admins read their tenants'
 * part; cluster admins read all.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  readonly repo: AuditRepository;
  /** Writes records in batches (one multi-row insert per 100 ms), retried until written. */
  readonly writer: AuditWriter;
  /** Buffer overflows since the last log line about them (logged at most once a second). */
  private overflowed = 0;
  private overflowLogAt = 0;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    private readonly cache: PolicyCache,
    metrics: MetricsService,
  ) {
    this.repo = new AuditRepository(prisma);
    this.writer = new AuditWriter({
      write: (records) => this.repo.appendMany(records),
      isUnavailable,
      maxBuffered: MAX_BUFFERED,
      events: {
        written: (count) => metrics.auditEventsWritten.inc(count),
        writeFailed: (err, count, unavailable) => {
          metrics.auditWriteFailures.inc({ cause: unavailable ? 'unavailable' : 'rejected' });
          const why = err.message.split('\n').filter(Boolean).pop();
          if (unavailable)
            this.logger.warn(`could not write ${count} audit event(s), will retry: ${why}`);
          else this.logger.error(`the database refused ${count} audit event(s): ${why}`);
        },
        dropped: (count, reason, err) => {
          metrics.auditEventsDropped.inc({ reason }, count);
          if (reason === 'buffer_full') return this.overflow(count);
          this.logger.error(
            `dropped ${count} audit event(s) (${reason})${err ? `: ${err.message}` : ''}`,
          );
        },
      },
    });
    metrics.auditBuffered = () => this.writer.buffered;
  }

  /** Hooks the request's end (Express middleware). */
  watch(req: Request, res: Response): void {
    const read = req.method === 'GET';
    if (!read && !MUTATING.has(req.method)) return;
    const time = new Date();
    res.on('finish', () => {
      const info = res.locals.requestInfo as RequestInfo | undefined;
      if (read && !isSecretRead(req.user as Principal | undefined, info)) return;
      if (isHeartbeat(req.user as Principal | undefined, info, res.statusCode)) return;
      let record: AuditRecord;
      try {
        record = this.record(req, res, time);
      } catch (err) {
        this.logger.error(`could not record an audit event: ${(err as Error).message}`);
        return;
      }
      this.writer.push(record);
    });
  }

  /** Writes what is buffered now (a failure leaves it buffered, retried later). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** On shutdown, what is buffered is written (retried for a few seconds if need be). */
  beforeApplicationShutdown(): Promise<void> {
    return this.writer.close(SHUTDOWN_FLUSH_MS);
  }

  private overflow(count: number): void {
    this.overflowed += count;
    const now = Date.now();
    if (now - this.overflowLogAt < 1000) return;
    this.overflowLogAt = now;
    this.logger.error(
      `the audit buffer is full (${MAX_BUFFERED} events wait for the database): dropped ${this.overflowed} event(s)`,
    );
    this.overflowed = 0;
  }

  private record(req: Request, res: Response, time: Date): AuditRecord {
    const principal = req.user as Principal | undefined;
    const info = res.locals.requestInfo as RequestInfo | undefined;
    const note = (res.locals.audit ?? {}) as AuditNote;
    const code = res.statusCode;
    const outcome = code < 400 ? 'Success' : code === 401 || code === 403 ? 'Denied' : 'Failure';
    let user = principal?.name ?? 'system:anonymous';
    if (!principal && req.path === '/auth/login') {
      const attempted = (req.body as { username?: unknown } | undefined)?.username;
      if (typeof attempted === 'string') user = attempted;
    }
    const record: AuditRecord = {
      time,
      user,
      verb: info?.isResourceRequest ? info.verb : verbOf(req.method),
      code,
      outcome,
      message: code >= 400 ? String(res.locals.statusMessage ?? '') : '',
      sourceIp: req.ip ?? '',
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    if (info?.isResourceRequest) {
      record.apiGroup = info.group;
      record.resource = info.resource;
      record.subresource = info.subresource;
      record.namespace = info.namespace;
      record.name = info.name || note.name || note.after?.metadata?.name || '';
      record.tenant = this.tenantOf(info, record.name, note);
      if (!NEVER_BODIES.has(`${info.group}/${info.resource}`)) {
        if (note.before) record.before = note.before as never;
        if (note.after) record.after = note.after as never;
      }
    } else {
      record.path = req.path;
      // A non-resource write about one named thing (a node's registration) names it.
      if (note.name) record.name = note.name;
    }
    return record;
  }

  private tenantOf(info: RequestInfo, name: string, note: AuditNote): string | undefined {
    const snap = this.cache.snapshot();
    if (info.namespace) return snap.namespaceTenant.get(info.namespace);
    if (info.group === TENANCY_GROUP && info.resource === 'tenants') return name || undefined;
    const labelled = note.after ?? note.before;
    const label = labelled?.metadata?.labels?.[TENANT_LABEL];
    if (label) return label;
    if (info.group === '' && info.resource === 'namespaces') return snap.namespaceTenant.get(name);
    return undefined;
  }

  /** The tenants whose trail `p` may read: all (undefined) for cluster admins. */
  readableTenants(p: Principal): string[] | undefined {
    if (p.clusterAdmin) return undefined;
    return membershipsOf(callerOf(p), this.cache.snapshot())
      .filter((m) => m.role === 'tenant-admin')
      .map((m) => m.tenant);
  }
}
