import {
  errors,
  INT32_MAX,
  INT32_MIN,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';

/** The `autoscaling/v1` Scale view of a Deployment or ReplicaSet. */
export function toScale(def: ResourceDefinition, obj: KubeObject): KubeObject {
  const scale = def.scale!;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: scale.specReplicas(obj) },
    status: { replicas: scale.statusReplicas(obj), selector: scale.selector(obj) },
  };
}

/** Validates a Scale written by a client and returns its desired replicas. */
export function desiredReplicas(name: string, scale: unknown): number {
  const spec = (scale as { spec?: { replicas?: unknown } } | null)?.spec;
  const replicas = spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw errors.invalid(
      'Scale',
      name,
      [
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be an integer`,
        },
      ],
      'autoscaling',
    );
  }
  if (replicas > INT32_MAX || replicas < INT32_MIN) {
    // As kube-apiserver: ScaleSpec.replicas is an int32; a number beyond it does not decode.
    throw errors.badRequest(
      `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number ${replicas} into Go struct field spec.replicas of type int32 (${INT32_MIN} to ${INT32_MAX})`,
      [
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.replicas',
          message: `cannot unmarshal number ${replicas} into Go struct field spec.replicas of type int32`,
        },
      ],
    );
  }
  if (replicas < 0) {
    throw errors.invalid(
      'Scale',
      name,
      [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.replicas',
          message: `Invalid value: ${replicas}: must be greater than or equal to 0`,
        },
      ],
      'autoscaling',
    );
  }
  if (replicas > 1_000_000) {
    throw errors.invalid(
      'Scale',
      name,
      [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.replicas',
          message: `Invalid value: ${replicas}: must be at most 1000000`,
        },
      ],
      'autoscaling',
    );
  }
  return replicas;
}

/** The object with spec.replicas set (generation bumped when it changes). */
export function withReplicas(current: KubeObject, replicas: number): KubeObject {
  const spec = { ...((current.spec as Record<string, unknown>) ?? {}), replicas };
  if ((current.spec as { replicas?: unknown } | undefined)?.replicas === replicas) return current;
  return {
    ...current,
    spec,
    metadata: { ...current.metadata, generation: (current.metadata.generation ?? 1) + 1 },
  };
}
