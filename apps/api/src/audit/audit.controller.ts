import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { errors } from '@berth/core';
import type { AuditEntry } from '@berth/store';
import { AuthenticatedGuard, principalOf } from '../auth/guards';
import { queryInt, queryString } from '../common/http';
import { AuditService } from './audit.service';

/**
 * `GET /audit/events`: the audit trail, newest first, paged with `limit` and `continue`,
 * filtered by `tenant`, `namespace` and `user`. Cluster admins read everything; tenant
 * admins read their tenants' events.
 */
@Controller('audit')
@UseGuards(AuthenticatedGuard)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('events')
  async events(@Req() req: Request): Promise<{ items: AuditEntry[]; continue?: string }> {
    const p = principalOf(req);
    const readable = this.audit.readableTenants(p);
    if (readable && readable.length === 0)
      throw errors.forbidden(
        `User "${p.name}" cannot read the audit trail: it is open to cluster admins and, for their tenants, tenant admins`,
      );
    const tenant = queryString(req, 'tenant');
    let tenants = readable;
    if (tenant) {
      if (readable && !readable.includes(tenant))
        throw errors.notFound('tenants', tenant, 'tenancy.berth.dev');
      tenants = [tenant];
    }
    const limit = queryInt(req, 'limit') ?? 100;
    if (limit < 1 || limit > 1000) throw errors.badRequest('limit must be from 1 to 1000');
    const cont = queryString(req, 'continue');
    if (cont !== undefined && !/^\d{1,19}$/.test(cont))
      throw errors.badRequest('continue must be the value a previous page returned');
    return this.audit.repo.list({
      tenants,
      namespace: queryString(req, 'namespace'),
      user: queryString(req, 'user'),
      beforeId: cont === undefined ? undefined : BigInt(cont),
      limit,
    });
  }
}
