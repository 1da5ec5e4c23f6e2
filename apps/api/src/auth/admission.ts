import { Injectable } from '@nestjs/common';
import {
  coversRules,
  errors,
  escalationMessage,
  findResource,
  membershipsOf,
  namespaceLimitMessage,
  roleReferenceRules,
  rulesFor,
  TENANCY_GROUP,
  TENANT_LABEL,
  tenantMembers,
  tenantNamespaceLimit,
  toPolicyRule,
  type KubeObject,
  type PolicyRule,
  type RbacObject,
  type RequestInfo,
  type ResourceDefinition,
} from '@berth/core';
import { Registry, type WriteOptions } from '@berth/registry';
import { Authorizer, callerOf } from './authorizer';
import { PolicyCache } from './policy-cache';
import type { Principal } from './principal';

const RBAC = 'rbac.authorization.k8s.io';

/**
 * Admission that depends on who is writing: namespaces join their creator's tenant
 * (within its namespace limit) and cannot be moved by tenants; RBAC objects cannot grant
 * more than the writer holds (Kubernetes' escalation check); a node registers only itself.
 */
@Injectable()
export class Admission {
  constructor(
    private readonly cache: PolicyCache,
    private readonly authorizer: Authorizer,
    private readonly registry: Registry,
  ) {}

  admitFor(p: Principal, def: ResourceDefinition, info: RequestInfo): WriteOptions['admit'] {
    if (def.group === '' && def.plural === 'namespaces' && !info.subresource)
      return (next, current) => this.admitNamespace(p, next, current);
    if (def.group === TENANCY_GROUP && def.plural === 'quotarequests')
      return (next, current) => this.admitQuotaRequest(p, next, current);
    if (def.group === TENANCY_GROUP && def.plural === 'tenants' && !p.clusterAdmin)
      return (next, current) => admitTenantByMember(next, current);
    if (def.group === RBAC && !p.clusterAdmin) return (next) => this.admitRbac(p, def, next);
    if (p.kind === 'node' && def.group === '' && def.plural === 'nodes')
      return (next) => {
        if (next.metadata.name !== p.nodeName)
          throw errors.forbidden(
            `node "${p.nodeName}" is not allowed to modify node "${next.metadata.name}"`,
          );
      };
    return undefined;
  }

  private async admitNamespace(
    p: Principal,
    next: KubeObject,
    current: KubeObject | undefined,
  ): Promise<void> {
    const labels = next.metadata.labels ?? {};
    const wanted = labels[TENANT_LABEL];
    const snap = this.cache.snapshot();
    if (current) {
      const had = current.metadata.labels?.[TENANT_LABEL];
      if (wanted !== had && !p.clusterAdmin)
        throw errors.forbidden(
          `namespace "${next.metadata.name}": the label ${TENANT_LABEL} (its tenant) can only be changed by a cluster admin`,
        );
      if (wanted !== had && wanted !== undefined)
        await this.checkLimit(wanted, next.metadata.name!);
      return;
    }
    if (p.clusterAdmin) {
      if (wanted !== undefined) {
        if (!snap.tenants.has(wanted))
          throw errors.badRequest(
            `namespace "${next.metadata.name}": tenant "${wanted}" (label ${TENANT_LABEL}) does not exist`,
          );
      }
      return;
    }
    const administered = membershipsOf(callerOf(p), snap)
      .filter((m) => m.role === 'tenant-admin')
      .map((m) => m.tenant);
    let tenant = wanted;
    if (tenant === undefined) {
      if (administered.length > 1)
        throw errors.badRequest(
          `you administer several tenants (${administered.join(', ')}): choose one by labelling the namespace ${TENANT_LABEL}=<tenant>, or use a token scoped to one tenant`,
        );
      tenant = administered[0];
    } else if (!administered.includes(tenant)) {
      throw errors.forbidden(
        `namespace "${next.metadata.name}": you are not a tenant admin of "${tenant}", so you cannot create namespaces in it`,
      );
    }
    if (tenant === undefined) return; // granted by plain RBAC, outside any tenant
    // The namespace limit is checked by the registry, in the creating transaction.
    next.metadata.labels = { ...labels, [TENANT_LABEL]: tenant };
  }

  /** A filed request names a tenant its filer administers; a decision records who and when. */
  private admitQuotaRequest(p: Principal, next: KubeObject, current: KubeObject | undefined): void {
    const spec = (next.spec ?? {}) as { tenant?: string; requestedBy?: string };
    const status = (next.status ?? {}) as {
      phase?: string;
      decidedBy?: string;
      decidedAt?: string;
    };
    if (!current) {
      const tenant = spec.tenant ?? '';
      const snap = this.cache.snapshot();
      if (!snap.tenants.has(tenant))
        throw errors.badRequest(
          `quota request "${next.metadata.name}": tenant "${tenant}" does not exist`,
        );
      if (!p.clusterAdmin) {
        const admin = membershipsOf(callerOf(p), snap).some(
          (m) => m.tenant === tenant && m.role === 'tenant-admin',
        );
        if (!admin)
          throw errors.forbidden(
            `quota request "${next.metadata.name}": only tenant admins of "${tenant}" can ask for more of its quota`,
          );
      }
      next.metadata.labels = { ...(next.metadata.labels ?? {}), [TENANT_LABEL]: tenant };
      next.spec = { ...spec, requestedBy: p.name };
      next.status = { phase: 'Pending' };
      return;
    }
    const before = ((current.status ?? {}) as { phase?: string }).phase ?? 'Pending';
    if (status.phase && status.phase !== before)
      next.status = {
        ...status,
        decidedBy: p.name,
        decidedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
  }

  /**
   * Refuses moving a namespace into a tenant at its namespace limit (a cluster admin's label
   * change; creations are checked by the registry, in the creating transaction).
   */
  private async checkLimit(tenant: string, namespace: string): Promise<void> {
    const t = this.cache.snapshot().tenants.get(tenant);
    const owned = await this.registry.list(this.namespaces(), undefined, {
      labelSelector: `${TENANT_LABEL}=${tenant}`,
    });
    const message = namespaceLimitMessage(
      namespace,
      tenant,
      owned.items.map((n) => n.metadata.name!).filter((n) => n !== namespace),
      t ? tenantNamespaceLimit(t) : undefined,
    );
    if (message) throw errors.forbidden(message);
  }

  private namespaces(): ResourceDefinition {
    return findResource('', 'v1', 'namespaces')!;
  }

  /** Kubernetes' escalation check: the writer must already hold what the object grants. */
  private admitRbac(p: Principal, def: ResourceDefinition, next: KubeObject): void {
    const policy = this.authorizer.policyFor(p);
    const namespace = def.namespaced ? next.metadata.namespace : undefined;
    let granted: PolicyRule[];
    if (def.kind === 'Role' || def.kind === 'ClusterRole') {
      const rules = (next as unknown as { rules?: unknown[] }).rules ?? [];
      granted = rules.map(toPolicyRule).filter((r): r is PolicyRule => r !== undefined);
    } else {
      const resolved = roleReferenceRules(next as unknown as RbacObject, namespace ?? '', policy);
      if ('error' in resolved) throw errors.notFound(...roleRefTarget(next));
      granted = resolved.rules;
    }
    const held = rulesFor({ name: p.name, groups: p.groups }, namespace, policy);
    const { covered, missing } = coversRules(held, granted);
    if (!covered)
      throw errors.forbidden(
        `${def.plural}.${RBAC} "${next.metadata.name}" is forbidden: ${escalationMessage(
          { name: p.name, groups: p.groups },
          missing,
        )}`,
      );
  }
}

function roleRefTarget(binding: KubeObject): [string, string, string] {
  const ref = (binding as unknown as { roleRef?: { kind?: string; name?: string } }).roleRef;
  return [ref?.kind === 'Role' ? 'roles' : 'clusterroles', ref?.name ?? '', RBAC];
}

/**
 * A tenant admin (not a cluster admin) updating its own Tenant may change its members and
 * nothing else — quota, node pools and limits stay the platform team's — and must leave
 * the tenant at least one tenant admin.
 */
export function admitTenantByMember(next: KubeObject, current: KubeObject | undefined): void {
  const name = next.metadata.name;
  if (!current) throw errors.forbidden(`only cluster admins create tenants`);
  const withoutMembers = (o: KubeObject) => {
    const spec = { ...((o.spec ?? {}) as Record<string, unknown>) };
    delete spec.members;
    const { labels, annotations } = o.metadata;
    return JSON.stringify({ spec, labels: labels ?? {}, annotations: annotations ?? {} });
  };
  if (withoutMembers(next) !== withoutMembers(current))
    throw errors.forbidden(
      `tenant "${name}": tenant admins may change only spec.members; for more quota file a QuotaRequest, for anything else ask a cluster admin`,
    );
  const members = tenantMembers(next);
  if (!members.some((m) => m.role === 'tenant-admin'))
    throw errors.invalid(
      'Tenant',
      name ?? '',
      [
        {
          field: 'spec.members',
          reason: 'FieldValueRequired',
          message: 'a tenant needs at least one member with the role tenant-admin',
        },
      ],
      TENANCY_GROUP,
    );
}
