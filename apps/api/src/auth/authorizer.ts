import { Injectable } from '@nestjs/common';
import {
  decide,
  effectivePolicy,
  errors,
  forbiddenMessage,
  inPools,
  listScope,
  membershipsOf,
  tenantMembers,
  tenantSuspended,
  TENANCY_GROUP,
  TENANT_LABEL,
  nodeAccess,
  nodeGraphDenial,
  nodePools,
  type AccessSnapshot,
  type ApiError,
  type Caller,
  type KubeObject,
  type RbacPolicy,
  type RequestAttributes,
  type RequestInfo,
  type ResourceDefinition,
} from '@berth/core';
import type { ListQuery } from '@berth/registry';
import { PolicyCache } from './policy-cache';
import type { Principal } from './principal';

/** What an allowed request must still respect. */
export interface Access {
  /** A list or watch sees only this much (undefined: everything). */
  scope?: ListQuery['scope'];
  /**
   * A check of the stored target object: when it fails, the error to answer instead
   * (a node asking for a pod not bound to it; a tenant member asking for a node outside
   * their pools).
   */
  objectCheck?: (object: KubeObject) => ApiError | undefined;
  /**
   * The node authorizer graph: given the pods bound to `nodeName` in the target's
   * namespace, the error to answer when none of them refers to the target.
   */
  nodeGraph?: { nodeName: string; check: (pods: KubeObject[]) => ApiError | undefined };
}

export function callerOf(p: Principal): Caller {
  return { name: p.name, groups: p.groups, clusterAdmin: p.clusterAdmin, scope: p.scope };
}

export function attributesOf(p: Principal, info: RequestInfo): RequestAttributes {
  return {
    user: { name: p.name, groups: p.groups },
    verb: info.verb,
    apiGroup: info.group,
    resource: info.resource,
    subresource: info.subresource || undefined,
    namespace: info.namespace || undefined,
    name: info.name || undefined,
    resourceRequest: info.isResourceRequest,
  };
}

/**
 * The authorization step of every resource request: RBAC with tenant memberships, tenant
 * isolation (someone else's namespace or object answers 404, as if it did not exist; lists
 * and watches see only what the caller may see) and node restriction.
 */
@Injectable()
export class Authorizer {
  constructor(private readonly cache: PolicyCache) {}

  /** The effective RBAC of a principal now (for access reviews and escalation checks). */
  policyFor(p: Principal): RbacPolicy {
    return effectivePolicy(callerOf(p), this.cache.snapshot());
  }

  authorize(
    p: Principal,
    info: RequestInfo,
    def: ResourceDefinition | undefined,
    fieldSelector = '',
  ): Access {
    if (!info.isResourceRequest) return {}; // discovery documents
    const attrs = attributesOf(p, info);
    if (p.kind === 'bootstrap')
      throw errors.forbidden(
        forbiddenMessage(
          attrs,
          'a bootstrap token may only register a node (POST /auth/nodes/register)',
        ),
      );
    if (p.kind === 'node') return this.authorizeNode(p, attrs, fieldSelector);
    if (p.clusterAdmin) return {};
    if (!def) return {}; // not served: the controller answers 404

    const caller = callerOf(p);
    const snap = this.cache.snapshot();
    const policy = effectivePolicy(caller, snap);
    const collection = !info.name && (info.verb === 'list' || info.verb === 'watch');

    // Nodes: tenant members read the nodes of their tenants' pools.
    if (info.group === '' && info.resource === 'nodes' && !info.subresource) {
      const rbac = decide(caller, attrs, policy);
      if (rbac.allowed) return {};
      const pools = nodePools(caller, snap);
      const reading = info.verb === 'get' || info.verb === 'list' || info.verb === 'watch';
      if (reading && (pools === 'all' || pools.length > 0)) {
        if (collection) return pools === 'all' ? {} : { scope: { labelsAnyOf: pools } };
        return {
          objectCheck: (node) =>
            inPools(pools, node.metadata.labels) ? undefined : errors.notFound('nodes', info.name),
        };
      }
      throw errors.forbidden(forbiddenMessage(attrs, rbac.reason.replace(/^RBAC: /, '')));
    }

    if (info.group === TENANCY_GROUP && info.resource === 'quotarequests')
      return this.quotaRequestAccess(caller, attrs, info, snap, policy, collection);

    if (collection && !(def.namespaced && info.namespace)) {
      const scope = listScope(
        caller,
        info.verb as 'list' | 'watch',
        info.group,
        info.resource,
        def.namespaced,
        snap,
        policy,
      );
      if (scope.all) return {};
      if ('namespaces' in scope) return { scope: { namespaces: scope.namespaces } };
      if (info.resource === 'namespaces' || info.resource === 'tenants')
        return { scope: { names: scope.names } };
    }

    const decision = decide(caller, attrs, policy);
    if (decision.allowed) return {};
    if (!decision.mayKnow) throw this.notFound(info, def);
    throw errors.forbidden(
      forbiddenMessage(
        attrs,
        this.suspendedReason(caller, attrs.namespace, snap) ??
          decision.reason.replace(/^RBAC: /, ''),
      ),
    );
  }

  /** "Why was this denied", when the answer is that the namespace's tenant is suspended. */
  private suspendedReason(
    caller: Caller,
    namespace: string | undefined,
    snap: AccessSnapshot,
  ): string | undefined {
    const tenantName = namespace ? snap.namespaceTenant.get(namespace) : undefined;
    const tenants = tenantName
      ? [tenantName]
      : [...snap.tenants.keys()].filter((t) =>
          tenantMembers(snap.tenants.get(t)!).some((m) => m.user === caller.name),
        );
    const suspended = tenants.find((t) => tenantSuspended(snap.tenants.get(t)));
    return suspended
      ? `tenant "${suspended}" is suspended by a cluster admin: its members may only read until it is lifted`
      : undefined;
  }

  /**
   * Quota requests belong to a tenant: its members read them (others get 404), its tenant
   * admins file and withdraw them, and only cluster admins (RBAC) decide them.
   */
  private quotaRequestAccess(
    caller: Caller,
    attrs: RequestAttributes,
    info: RequestInfo,
    snap: AccessSnapshot,
    policy: RbacPolicy,
    collection: boolean,
  ): Access {
    if (decide(caller, attrs, policy).allowed) return {};
    const memberships = membershipsOf(caller, snap);
    const tenants = memberships.map((m) => m.tenant);
    const admins = memberships.filter((m) => m.role === 'tenant-admin').map((m) => m.tenant);
    const tenantOf = (o: KubeObject) => o.metadata.labels?.[TENANT_LABEL] ?? '';
    const hidden = () => errors.notFound('quotarequests', info.name, TENANCY_GROUP);
    const denied = () => errors.forbidden(forbiddenMessage(attrs));
    if (collection) return { scope: { labelsAnyOf: tenants.map((t) => ({ [TENANT_LABEL]: t })) } };
    if (info.verb === 'create' && !info.subresource) {
      if (admins.length) return {}; // admission checks the tenant named in the request
      throw denied();
    }
    if (!info.name) throw denied();
    const reading =
      (info.verb === 'get' || info.verb === 'watch') && info.subresource !== 'approval';
    return {
      objectCheck: (o) => {
        const tenant = tenantOf(o);
        if (!tenants.includes(tenant)) return hidden();
        if (reading) return undefined;
        if (info.verb === 'delete' && !info.subresource && admins.includes(tenant)) {
          const phase = (o.status as { phase?: string } | undefined)?.phase ?? 'Pending';
          return phase === 'Pending'
            ? undefined
            : errors.forbidden(
                `quotarequests.${TENANCY_GROUP} "${info.name}" is forbidden: it was already ${phase}; decided requests stay as the record`,
              );
        }
        return denied();
      },
    };
  }

  /** The 404 a caller gets for something that does not exist for them. */
  private notFound(info: RequestInfo, def: ResourceDefinition): ApiError {
    if (def.namespaced && info.namespace && (!info.name || info.verb === 'create'))
      return errors.notFound('namespaces', info.namespace);
    return errors.notFound(def.plural, info.name || info.namespace, def.group || undefined);
  }

  private authorizeNode(p: Principal, attrs: RequestAttributes, fieldSelector: string): Access {
    const nodeName = p.nodeName!;
    const access = nodeAccess(nodeName, attrs, fieldSelector);
    if (!access.allowed) throw errors.forbidden(forbiddenMessage(attrs, access.reason));
    const graph = access.graph;
    if (graph)
      return {
        nodeGraph: {
          nodeName,
          check: (pods) => {
            const why = nodeGraphDenial(nodeName, graph, attrs.namespace ?? '', attrs.name!, pods);
            return why ? errors.forbidden(forbiddenMessage(attrs, why)) : undefined;
          },
        },
      };
    if (!access.boundPodOnly) return {};
    return {
      objectCheck: (pod) =>
        (pod.spec as { nodeName?: string } | undefined)?.nodeName === nodeName
          ? undefined
          : errors.forbidden(
              forbiddenMessage(attrs, `pod "${attrs.name}" is not bound to node "${nodeName}"`),
            ),
    };
  }
}
