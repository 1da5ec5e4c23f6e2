import type { KubeObject } from '../api/types';
import {
  disallowedPodSecurity,
  podSecurityDenial,
  podSecurityViolations,
  podSpecPath,
  tenantPodSecurity,
} from './pod-security';

describe('pod security', () => {
  const spec = {
    securityContext: { runAsUser: 0, runAsGroup: 1000, runAsNonRoot: false },
    initContainers: [{ name: 'i', securityContext: { privileged: true } }],
    containers: [
      { name: 'a', securityContext: { privileged: false, allowPrivilegeEscalation: false } },
      { name: 'b', securityContext: { runAsGroup: 0, allowPrivilegeEscalation: true } },
      { name: 'c', securityContext: { runAsUser: 1000 } },
    ],
    ephemeralContainers: [{ name: 'e', securityContext: { runAsUser: 0 } }],
  };

  it('finds each field asking for privilege or root, and nothing else', () => {
    expect(podSecurityViolations(spec, 'spec')).toEqual([
      { needs: 'allowRunAsRoot', field: 'spec.securityContext.runAsUser', value: 0 },
      {
        needs: 'allowPrivileged',
        field: 'spec.initContainers[0].securityContext.privileged',
        value: true,
      },
      {
        needs: 'allowPrivileged',
        field: 'spec.containers[1].securityContext.allowPrivilegeEscalation',
        value: true,
      },
      { needs: 'allowRunAsRoot', field: 'spec.containers[1].securityContext.runAsGroup', value: 0 },
      {
        needs: 'allowRunAsRoot',
        field: 'spec.ephemeralContainers[0].securityContext.runAsUser',
        value: 0,
      },
    ]);
    expect(podSecurityViolations({ containers: [{ name: 'x' }] }, 'spec')).toEqual([]);
    expect(podSecurityViolations(undefined, 'spec')).toEqual([]);
  });

  it('finds the pod spec of pods and workload templates only', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec } as KubeObject;
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {},
      spec: { template: { spec } },
    } as KubeObject;
    expect(podSpecPath(pod)).toEqual({ spec, field: 'spec' });
    expect(podSpecPath(deploy)).toEqual({ spec, field: 'spec.template.spec' });
    expect(podSpecPath({ apiVersion: 'v1', kind: 'Service', metadata: {} } as KubeObject)).toBe(
      undefined,
    );
  });

  it('keeps what the tenant allows, and words the denial with the fields and the allowance', () => {
    const all = podSecurityViolations(spec, 'spec');
    expect(tenantPodSecurity(undefined)).toEqual({ allowPrivileged: false, allowRunAsRoot: false });
    const tenant = { metadata: {}, spec: { podSecurity: { allowRunAsRoot: true } } } as KubeObject;
    const refused = disallowedPodSecurity(all, tenantPodSecurity(tenant));
    expect(refused.map((v) => v.needs)).toEqual(['allowPrivileged', 'allowPrivileged']);
    const { message, causes } = podSecurityDenial('pods', 'p', 'team-a', refused);
    expect(message).toBe(
      'pods "p" is forbidden: violates the pod security of tenant "team-a": spec.initContainers[0].securityContext.privileged=true, spec.containers[1].securityContext.allowPrivilegeEscalation=true (pods run as an unprivileged user of their own; only a cluster admin can allow this, with the tenant\'s spec.podSecurity.allowPrivileged)',
    );
    expect(causes.map((c) => c.field)).toEqual([
      'spec.initContainers[0].securityContext.privileged',
      'spec.containers[1].securityContext.allowPrivilegeEscalation',
    ]);
  });
});
