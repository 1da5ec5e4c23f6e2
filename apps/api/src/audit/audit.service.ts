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
import { callerOf } from '../auth/authorizer';
import { PolicyCache } from '../auth/policy-cache';
import type { Principal } from '../auth/principal';
import { PRISMA } from '../store/store.module';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Buffered records are written at least this often… */
const FLUSH_MS = 100;
/** …or as soon as this many wait. */
const FLUSH_AT = 200;

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

export function tracked(group: string, resource: string): boolean {
  return TRACKED.has(`${group}/${resource}`);
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
  /** Records waiting to be written: one multi-row insert per FLUSH_MS, not one per request. */
  private buffer: AuditRecord[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    private readonly cache: PolicyCache,
  ) {
    this.repo = new AuditRepository(prisma);
  }

  /** Hooks the request's end (Express middleware). */
  watch(req: Request, res: Response): void {
    if (!MUTATING.has(req.method)) return;
    res.on('finish', () => {
      const info = res.locals.requestInfo as RequestInfo | undefined;
      if (isHeartbeat(req.user as Principal | undefined, info, res.statusCode)) return;
      try {
        this.buffer.push(this.record(req, res));
      } catch (err) {
        this.logger.error(`could not record an audit event: ${(err as Error).message}`);
        return;
      }
      if (this.buffer.length >= FLUSH_AT) void this.flush();
      else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    });
  }

  /** Writes what is buffered (also on shutdown, so nothing recorded is lost). */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() =>
      this.repo
        .appendMany(batch)
        .catch((err: Error) =>
          this.logger.error(`could not write ${batch.length} audit event(s): ${err.message}`),
        ),
    );
    return this.flushing;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  private record(req: Request, res: Response): AuditRecord {
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
      if (note.before) record.before = note.before as never;
      if (note.after) record.after = note.after as never;
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
