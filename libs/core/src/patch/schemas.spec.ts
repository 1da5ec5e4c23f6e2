import {
  conditionsPatchSchema,
  nodePatchSchema,
  objectMetaPatchSchema,
  podPatchSchema,
  podSpecPatchSchema,
  servicePatchSchema,
  workloadPatchSchema,
} from './schemas';

describe('patch schemas', () => {
  it('podSpecPatchSchema lists the PodSpec merge keys under a prefix', () => {
    expect(podSpecPatchSchema('spec.template.spec')).toEqual({
      'spec.template.spec.containers': { mergeKey: 'name' },
      'spec.template.spec.containers[].ports': { mergeKey: 'containerPort' },
      'spec.template.spec.containers[].env': { mergeKey: 'name' },
      'spec.template.spec.containers[].volumeMounts': { mergeKey: 'mountPath' },
      'spec.template.spec.containers[].volumeDevices': { mergeKey: 'devicePath' },
      'spec.template.spec.initContainers': { mergeKey: 'name' },
      'spec.template.spec.initContainers[].ports': { mergeKey: 'containerPort' },
      'spec.template.spec.initContainers[].env': { mergeKey: 'name' },
      'spec.template.spec.initContainers[].volumeMounts': { mergeKey: 'mountPath' },
      'spec.template.spec.initContainers[].volumeDevices': { mergeKey: 'devicePath' },
      'spec.template.spec.ephemeralContainers': { mergeKey: 'name' },
      'spec.template.spec.ephemeralContainers[].ports': { mergeKey: 'containerPort' },
      'spec.template.spec.ephemeralContainers[].env': { mergeKey: 'name' },
      'spec.template.spec.ephemeralContainers[].volumeMounts': { mergeKey: 'mountPath' },
      'spec.template.spec.ephemeralContainers[].volumeDevices': { mergeKey: 'devicePath' },
      'spec.template.spec.volumes': { mergeKey: 'name' },
      'spec.template.spec.imagePullSecrets': { mergeKey: 'name' },
      'spec.template.spec.hostAliases': { mergeKey: 'ip' },
      'spec.template.spec.topologySpreadConstraints': { mergeKey: 'topologyKey' },
      'spec.template.spec.schedulingGates': { mergeKey: 'name' },
      'spec.template.spec.resourceClaims': { mergeKey: 'name' },
      'spec.template.spec.tolerations': { strategy: 'replace' },
    });
  });

  it('podSpecPatchSchema works at the root and for a Pod', () => {
    expect(podSpecPatchSchema('')['containers[].env']).toEqual({ mergeKey: 'name' });
    expect(podSpecPatchSchema('spec')['spec.containers']).toEqual({ mergeKey: 'name' });
  });

  it('objectMetaPatchSchema', () => {
    expect(objectMetaPatchSchema()).toEqual({
      'metadata.ownerReferences': { mergeKey: 'uid' },
      'metadata.finalizers': { strategy: 'merge' },
    });
    expect(objectMetaPatchSchema('spec.template.metadata')).toHaveProperty(
      ['spec.template.metadata.finalizers'],
      { strategy: 'merge' },
    );
  });

  it('servicePatchSchema merges spec.ports by port', () => {
    expect(servicePatchSchema()).toMatchObject({
      'spec.ports': { mergeKey: 'port' },
      'metadata.ownerReferences': { mergeKey: 'uid' },
    });
  });

  it('whole-kind schemas compose the fragments', () => {
    expect(conditionsPatchSchema()).toEqual({ 'status.conditions': { mergeKey: 'type' } });
    expect(podPatchSchema()).toMatchObject({
      'spec.containers[].ports': { mergeKey: 'containerPort' },
      'metadata.finalizers': { strategy: 'merge' },
      'status.conditions': { mergeKey: 'type' },
      'status.podIPs': { mergeKey: 'ip' },
    });
    expect(workloadPatchSchema()).toMatchObject({
      'spec.template.spec.containers': { mergeKey: 'name' },
      'spec.template.metadata.finalizers': { strategy: 'merge' },
      'metadata.ownerReferences': { mergeKey: 'uid' },
    });
    expect(workloadPatchSchema('spec.jobTemplate.spec.template')).toHaveProperty(
      ['spec.jobTemplate.spec.template.spec.containers'],
      { mergeKey: 'name' },
    );
    expect(nodePatchSchema()).toMatchObject({
      'status.addresses': { mergeKey: 'type' },
      'spec.podCIDRs': { strategy: 'merge' },
    });
  });

  it('returns a fresh object each time', () => {
    const a = podSpecPatchSchema('spec');
    a['spec.containers'] = { strategy: 'replace' };
    expect(podSpecPatchSchema('spec')['spec.containers']).toEqual({ mergeKey: 'name' });
  });
});
