import type { PrismaClient } from './database';
import type { JsonObject } from './types';

export interface AuditRecord {
  /** When it happened (default: when it is written). */
  time?: Date;
  user: string;
  verb: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  tenant?: string;
  path?: string;
  code: number;
  outcome: 'Success' | 'Denied' | 'Failure';
  message?: string;
  sourceIp?: string;
  userAgent?: string;
  before?: JsonObject;
  after?: JsonObject;
}

export interface AuditEntry extends Omit<AuditRecord, 'time'> {
  id: string;
  time: string;
}

export interface AuditQuery {
  /** Only these tenants' events (undefined: all). */
  tenants?: string[];
  namespace?: string;
  user?: string;
  /** Newest first, older than this id (the previous page's `continue`). */
  beforeId?: bigint;
  limit: number;
}

function row(r: AuditRecord) {
  return {
    ...(r.time ? { time: r.time } : {}),
    user: r.user,
    verb: r.verb,
    apiGroup: r.apiGroup ?? '',
    resource: r.resource ?? '',
    subresource: r.subresource ?? '',
    namespace: r.namespace ?? '',
    name: r.name ?? '',
    tenant: r.tenant ?? null,
    path: r.path ?? '',
    code: r.code,
    outcome: r.outcome,
    message: (r.message ?? '').slice(0, 2000),
    sourceIp: r.sourceIp ?? '',
    userAgent: (r.userAgent ?? '').slice(0, 500),
    before: (r.before as never) ?? undefined,
    after: (r.after as never) ?? undefined,
  };
}

/** The audit trail: append-only rows, read newest first. */
export class AuditRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async append(r: AuditRecord): Promise<void> {
    await this.appendMany([r]);
  }

  /** Several records in one statement (in the order given: ids grow with it). */
  async appendMany(records: readonly AuditRecord[]): Promise<void> {
    if (!records.length) return;
    await this.prisma.auditEvent.createMany({ data: records.map(row) });
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; continue?: string }> {
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        ...(q.tenants ? { tenant: { in: q.tenants } } : {}),
        ...(q.namespace ? { namespace: q.namespace } : {}),
        ...(q.user ? { user: q.user } : {}),
        ...(q.beforeId !== undefined ? { id: { lt: q.beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: q.limit + 1,
    });
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((r) => ({
        id: r.id.toString(),
        time: r.time.toISOString(),
        user: r.user,
        verb: r.verb,
        apiGroup: r.apiGroup,
        resource: r.resource,
        subresource: r.subresource,
        namespace: r.namespace,
        name: r.name,
        ...(r.tenant ? { tenant: r.tenant } : {}),
        path: r.path,
        code: r.code,
        outcome: r.outcome as AuditRecord['outcome'],
        message: r.message,
        sourceIp: r.sourceIp,
        userAgent: r.userAgent,
        ...(r.before ? { before: r.before as JsonObject } : {}),
        ...(r.after ? { after: r.after as JsonObject } : {}),
      })),
      ...(more ? { continue: page[page.length - 1].id.toString() } : {}),
    };
  }
}
