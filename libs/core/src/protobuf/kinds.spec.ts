import type { ProtoDescriptor } from './descriptor';
import { protobufDescriptorFor, protobufKinds } from './kinds';

describe('protobuf kinds', () => {
  it('covers every kind Berth serves and the kinds it is to serve next', () => {
    const kinds: Record<string, string[]> = {
      v1: [
        'Namespace',
        'Node',
        'Pod',
        'Service',
        'Endpoints',
        'Event',
        'ResourceQuota',
        'LimitRange',
        'ConfigMap',
        'Secret',
        'ServiceAccount',
        'ReplicationController',
        'PersistentVolume',
        'PersistentVolumeClaim',
        'DeleteOptions',
      ],
      'apps/v1': [
        'Deployment',
        'ReplicaSet',
        'DaemonSet',
        'ControllerRevision',
        'StatefulSet',
        'DeleteOptions',
      ],
      'coordination.k8s.io/v1': ['Lease'],
      'rbac.authorization.k8s.io/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
      'authorization.k8s.io/v1': ['SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
      'authentication.k8s.io/v1': ['SelfSubjectReview'],
      'autoscaling/v1': ['Scale', 'HorizontalPodAutoscaler'],
      'autoscaling/v2': ['HorizontalPodAutoscaler'],
      'batch/v1': ['Job', 'CronJob'],
      'policy/v1': ['PodDisruptionBudget', 'Eviction'],
      'storage.k8s.io/v1': ['StorageClass'],
      'networking.k8s.io/v1': ['NetworkPolicy'],
    };
    const missing = Object.entries(kinds).flatMap(([apiVersion, names]) =>
      names.filter((k) => !protobufDescriptorFor(apiVersion, k)).map((k) => `${apiVersion} ${k}`),
    );
    expect(missing).toEqual([]);
    // Berth's own kinds have no protobuf encoding: kubectl sends JSON for them.
    expect(protobufKinds().filter((k) => k.apiVersion.includes('berth.dev'))).toEqual([]);
    expect(protobufDescriptorFor('apps/v1', 'Namespace')).toBeUndefined();
    expect(protobufDescriptorFor('v1', 'PodSpec')).toBeUndefined();
    expect(protobufDescriptorFor('v1', '__proto__')).toBeUndefined();
    expect(protobufDescriptorFor('hasOwnProperty', 'x')).toBeUndefined();
  });

  it('has well-formed descriptor tables (numbers, names, nested types)', () => {
    const problems: string[] = [];
    const seen = new Set<ProtoDescriptor>();
    /** Returns the JSON names a message contributes (inlined ones included). */
    const walk = (desc: ProtoDescriptor, where: string): string[] => {
      const names: string[] = [];
      for (const [num, field] of Object.entries(desc)) {
        const at = `${where}#${num}(${field.name})`;
        if (!/^[1-9]\d*$/.test(num) || Number(num) > 0x1fffffff) problems.push(`${at}: bad number`);
        if (field.type === 'message') {
          if (!field.message) problems.push(`${at}: message without descriptor`);
          else if (field.inline) names.push(...walk(field.message, `${where}.${field.name}`));
          else if (!seen.has(field.message)) {
            seen.add(field.message);
            walk(field.message, `${where}.${field.name}`);
          }
        } else if (field.message) problems.push(`${at}: descriptor on a ${field.type}`);
        if ((field.type === 'map') !== (field.value !== undefined))
          problems.push(`${at}: map value`);
        if (field.unwrap && (field.type !== 'message' || field.message?.[1]?.name !== 'items'))
          problems.push(`${at}: unwrap`);
        if (field.inline && (field.type !== 'message' || field.repeated))
          problems.push(`${at}: inline`);
        if (field.type === 'map' && field.repeated) problems.push(`${at}: repeated map`);
        if (!field.inline) names.push(field.name);
      }
      const dup = names.filter((n, i) => names.indexOf(n) !== i);
      if (dup.length) problems.push(`${where}: duplicate JSON names ${dup.join(', ')}`);
      return names;
    };
    for (const { apiVersion, kind } of protobufKinds()) {
      walk(protobufDescriptorFor(apiVersion, kind)!, `${apiVersion}/${kind}`);
    }
    expect(problems).toEqual([]);
  });
});
