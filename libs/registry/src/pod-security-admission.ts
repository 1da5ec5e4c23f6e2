/**
 * Pod security admission in the registry, so that every writer goes through it (the API
 * server for people, the controllers for the pods of Deployments and ReplicaSets): a pod,
 * or a workload's pod template, that asks to be privileged or to run as root is refused
 * with 403 unless the tenant of its namespace allows it (`spec.podSecurity`, set by cluster
 * admins). Namespaces of no tenant are the cluster admins' own and are not restricted, as
 * Kubernetes' PodSecurity admission leaves an unlabelled namespace "privileged".
 */
import {
  disallowedPodSecurity,
  errors,
  podSecurityDenial,
  podSecurityViolations,
  podSpecPath,
  TENANCY_GROUP,
  TENANT_LABEL,
  tenantPodSecurity,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { ObjectRepository } from '@berth/store';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class PodSecurityAdmission {
  constructor(private readonly repo: ObjectRepository) {}

  /**
   * Throws 403 when `next` asks for what its tenant does not allow. An update that leaves
   * the pod spec as it was is not checked (as PodSecurity admission exempts them), so a
   * withdrawn allowance does not block scaling or status writes of what already runs.
   */
  async admit(def: ResourceDefinition, next: KubeObject, current?: KubeObject): Promise<void> {
    const at = podSpecPath(next);
    if (!at) return;
    if (current && sameJson(podSpecPath(current)?.spec, at.spec)) return;
    const violations = podSecurityViolations(at.spec, at.field);
    if (!violations.length) return;
    const namespace = next.metadata.namespace ?? '';
    const ns = await this.repo.get({ resource: 'namespaces', namespace: '', name: namespace });
    const tenant = (ns?.object as KubeObject | undefined)?.metadata.labels?.[TENANT_LABEL];
    if (!tenant) return;
    const stored = await this.repo.get({
      resource: `tenants.${TENANCY_GROUP}`,
      namespace: '',
      name: tenant,
    });
    const refused = disallowedPodSecurity(
      violations,
      tenantPodSecurity(stored?.object as KubeObject | undefined),
    );
    if (!refused.length) return;
    const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
    const name = next.metadata.name ?? '';
    const { message, causes } = podSecurityDenial(resource, name, tenant, refused);
    throw errors.forbidden(message, {
      name,
      group: def.group || undefined,
      kind: def.plural,
      causes,
    });
  }
}
