import type { ProtoDescriptor } from './descriptor';
import { protobufDescriptorFor, protobufKinds } from './kinds';

describe('protobuf kinds', () => {
  it('covers what kubectl sends as protobuf for the kinds Berth serves', () => {
    expect(protobufKinds()).toEqual([
      { apiVersion: 'v1', kind: 'Namespace' },
      { apiVersion: 'v1', kind: 'Service' },
      { apiVersion: 'v1', kind: 'Pod' },
      { apiVersion: 'v1', kind: 'ResourceQuota' },
      { apiVersion: 'v1', kind: 'LimitRange' },
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview' },
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview' },
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    ]);
    expect(protobufDescriptorFor('v1', 'Namespace')).toBeDefined();
    expect(protobufDescriptorFor('apps/v1', 'Namespace')).toBeUndefined();
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
