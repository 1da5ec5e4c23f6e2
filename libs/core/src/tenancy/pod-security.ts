/**
 * Pod security admission (a subset of Kubernetes' Pod Security Standards, where it matters
 * for Berth's runtimes): what a pod spec asks for beyond an unprivileged user, and whether
 * its tenant lets it.
 *
 * - `privileged: true` and `allowPrivilegeEscalation: true` (Baseline forbids the first,
 *   Restricted both) need the tenant's `spec.podSecurity.allowPrivileged`;
 * - `runAsUser: 0` and `runAsGroup: 0`, at pod or container level (Restricted forbids a
 *   root user) need `spec.podSecurity.allowRunAsRoot`.
 *
 * Checked in containers, initContainers and ephemeralContainers, in pods and in the pod
 * templates of Deployments and ReplicaSets (so a workload is refused when it is written,
 * not only when its controller creates pods). Only cluster admins may set a tenant's
 * `spec.podSecurity` (tenant admins may change only `spec.members`).
 */
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { isObject, obj } from '../resources/util';

export interface TenantPodSecurity {
  allowPrivileged: boolean;
  allowRunAsRoot: boolean;
}

export interface PodSecurityViolation {
  /** Which allowance of the tenant would admit it. */
  needs: keyof TenantPodSecurity;
  field: string;
  value: unknown;
}

/** The tenant's allowances (none when unset). */
export function tenantPodSecurity(tenant: KubeObject | undefined): TenantPodSecurity {
  const ps = obj(obj(tenant?.spec).podSecurity);
  return {
    allowPrivileged: ps.allowPrivileged === true,
    allowRunAsRoot: ps.allowRunAsRoot === true,
  };
}

/** Where the pod spec of an object is (a Pod's spec, a workload's template), or undefined. */
export function podSpecPath(o: KubeObject): { spec: unknown; field: string } | undefined {
  if (o.apiVersion === 'v1' && o.kind === 'Pod') return { spec: o.spec, field: 'spec' };
  if (
    (o.apiVersion === 'apps/v1' && (o.kind === 'Deployment' || o.kind === 'ReplicaSet')) ||
    (o.apiVersion === 'v1' && o.kind === 'ReplicationController')
  )
    return { spec: obj(obj(o.spec).template).spec, field: 'spec.template.spec' };
  return undefined;
}

/** What the pod spec (at `field`) asks for that needs an allowance. */
export function podSecurityViolations(spec: unknown, field: string): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const root = (sc: Record<string, unknown>, at: string) => {
    for (const key of ['runAsUser', 'runAsGroup'] as const)
      if (sc[key] === 0) out.push({ needs: 'allowRunAsRoot', field: `${at}.${key}`, value: 0 });
  };
  const s = obj(spec);
  root(obj(s.securityContext), `${field}.securityContext`);
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const containers = Array.isArray(s[list]) ? (s[list] as unknown[]) : [];
    containers.forEach((c, i) => {
      if (!isObject(c)) return;
      const sc = obj(c.securityContext);
      const at = `${field}.${list}[${i}].securityContext`;
      for (const key of ['privileged', 'allowPrivilegeEscalation'] as const)
        if (sc[key] === true)
          out.push({ needs: 'allowPrivileged', field: `${at}.${key}`, value: true });
      root(sc, at);
    });
  }
  return out;
}

/** The violations the tenant does not allow. */
export function disallowedPodSecurity(
  violations: PodSecurityViolation[],
  allowed: TenantPodSecurity,
): PodSecurityViolation[] {
  return violations.filter((v) => !allowed[v.needs]);
}

/**
 * The 403's message and causes (one per field), as Kubernetes' PodSecurity admission words
 * a denial: `pods "x" is forbidden: violates PodSecurity …`.
 */
export function podSecurityDenial(
  resource: string,
  name: string,
  tenant: string,
  refused: PodSecurityViolation[],
): { message: string; causes: StatusCause[] } {
  const needs = [...new Set(refused.map((v) => v.needs))]
    .map((n) => `spec.podSecurity.${n}`)
    .join(' and ');
  const fields = refused.map((v) => `${v.field}=${JSON.stringify(v.value)}`).join(', ');
  return {
    message: `${resource} "${name}" is forbidden: violates the pod security of tenant "${tenant}": ${fields} (pods run as an unprivileged user of their own; only a cluster admin can allow this, with the tenant's ${needs})`,
    causes: refused.map((v) => ({
      reason: 'FieldValueForbidden',
      message: `Forbidden: ${JSON.stringify(v.value)} needs the tenant's spec.podSecurity.${v.needs}`,
      field: v.field,
    })),
  };
}
