import { Injectable } from '@nestjs/common';
import {
  decide,
  errors,
  nodeAccess,
  rulesFor,
  type PolicyRule,
  type RequestAttributes,
} from '@berth/core';
import { Authorizer, callerOf } from './authorizer';
import type { Principal } from './principal';

/** The review kinds served (create only), by group: what `kubectl auth` uses. */
export const REVIEW_RESOURCES = [
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    plural: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
  },
] as const;

/** Paths every authenticated caller may GET (Kubernetes' system:discovery and public info). */
const PUBLIC_PATHS = ['/api', '/apis', '/version', '/healthz', '/livez', '/readyz', '/openapi'];

function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Access reviews about the caller themself: `kubectl auth can-i` (SelfSubjectAccessReview),
 * `kubectl auth can-i --list` (SelfSubjectRulesReview) and `kubectl auth whoami`
 * (SelfSubjectReview). The answers come from the same decision as real requests.
 */
@Injectable()
export class Reviews {
  constructor(private readonly authorizer: Authorizer) {}

  review(p: Principal, plural: string, body: unknown): Record<string, unknown> {
    const spec = obj(obj(body).spec);
    switch (plural) {
      case 'selfsubjectaccessreviews':
        return {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          metadata: { creationTimestamp: null },
          spec,
          status: this.accessReview(p, spec),
        };
      case 'selfsubjectrulesreviews':
        return {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          metadata: { creationTimestamp: null },
          spec,
          status: this.rulesReview(p, str(spec.namespace)),
        };
      default:
        return {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
          metadata: { creationTimestamp: null },
          status: {
            userInfo: {
              username: p.name,
              ...(p.uid ? { uid: p.uid } : {}),
              groups: p.groups,
              ...(p.scope
                ? {
                    extra: {
                      'tenancy.berth.dev/scope': [`${p.scope.tenant}/${p.scope.role ?? ''}`],
                    },
                  }
                : {}),
            },
          },
        };
    }
  }

  private accessReview(p: Principal, spec: Record<string, unknown>) {
    const resource = obj(spec.resourceAttributes);
    const nonResource = obj(spec.nonResourceAttributes);
    if (!spec.resourceAttributes && !spec.nonResourceAttributes)
      throw errors.invalid(
        'SelfSubjectAccessReview',
        '',
        [
          {
            reason: 'FieldValueRequired',
            field: 'spec.resourceAttributes',
            message:
              'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
          },
        ],
        'authorization.k8s.io',
      );
    if (spec.nonResourceAttributes) {
      const path = str(nonResource.path);
      const verb = str(nonResource.verb);
      const allowed = p.clusterAdmin || (verb === 'get' && isPublicPath(path));
      return allowed
        ? { allowed: true, reason: 'discovery is open to every authenticated user' }
        : { allowed: false };
    }
    const attrs: RequestAttributes = {
      user: { name: p.name, groups: p.groups },
      verb: str(resource.verb),
      apiGroup: str(resource.group),
      resource: str(resource.resource),
      subresource: str(resource.subresource) || undefined,
      namespace: str(resource.namespace) || undefined,
      name: str(resource.name) || undefined,
      resourceRequest: true,
    };
    if (p.kind === 'bootstrap') return { allowed: false };
    if (p.kind === 'node') {
      const fieldSelector = str(obj(resource.fieldSelector).rawSelector);
      const access = nodeAccess(p.nodeName!, attrs, fieldSelector);
      return access.allowed ? { allowed: true } : { allowed: false, reason: access.reason };
    }
    const decision = decide(callerOf(p), attrs, this.authorizer.policyFor(p));
    return decision.allowed
      ? { allowed: true, reason: decision.reason }
      : { allowed: false, ...(decision.reason ? { reason: decision.reason } : {}) };
  }

  private rulesReview(p: Principal, namespace: string) {
    if (p.kind !== 'user' && p.kind !== 'serviceaccount')
      return {
        resourceRules: [],
        nonResourceRules: [],
        incomplete: true,
        evaluationError: 'rules are listed for users only',
      };
    const rules: PolicyRule[] = p.clusterAdmin
      ? [
          { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
          { verbs: ['*'], nonResourceURLs: ['*'] },
        ]
      : rulesFor(
          { name: p.name, groups: p.groups },
          namespace || undefined,
          this.authorizer.policyFor(p),
        );
    const resourceRules = rules
      .filter((r) => r.resources?.length)
      .map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources,
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      }));
    const nonResourceRules = [
      ...rules
        .filter((r) => r.nonResourceURLs?.length)
        .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
      { verbs: ['get'], nonResourceURLs: PUBLIC_PATHS.flatMap((path) => [path, `${path}/*`]) },
    ];
    return { resourceRules, nonResourceRules, incomplete: false };
  }
}
