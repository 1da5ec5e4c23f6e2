/**
 * Ready-made {@link PatchSchema}s for the built-in kinds, transcribed from the
 * `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api (core/v1, apps/v1) and
 * k8s.io/apimachinery (ObjectMeta). kubectl computes its patches from the same tags, so a
 * list missing here would be replaced where kubectl expects it to merge.
 *
 * The fragments take a path prefix so they compose:
 * `{ ...objectMetaPatchSchema(), ...podSpecPatchSchema('spec.template.spec') }`.
 */
import type { PatchSchema } from './strategic-merge-patch';

function at(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}

/** Merge keys inside one container (Container and EphemeralContainer alike). */
function containerPatchSchema(prefix: string): PatchSchema {
  return {
    [at(prefix, 'ports')]: { mergeKey: 'containerPort' },
    [at(prefix, 'env')]: { mergeKey: 'name' },
    [at(prefix, 'volumeMounts')]: { mergeKey: 'mountPath' },
    [at(prefix, 'volumeDevices')]: { mergeKey: 'devicePath' },
  };
}

/**
 * A PodSpec under `prefix`: `spec` for a Pod, `spec.template.spec` for a Deployment,
 * ReplicaSet, StatefulSet, DaemonSet or Job, `spec.jobTemplate.spec.template.spec` for a
 * CronJob. `tolerations` has no merge key in Kubernetes, so a patch replaces it whole.
 */
export function podSpecPatchSchema(prefix: string): PatchSchema {
  const schema: PatchSchema = {
    [at(prefix, 'volumes')]: { mergeKey: 'name' },
    [at(prefix, 'imagePullSecrets')]: { mergeKey: 'name' },
    [at(prefix, 'hostAliases')]: { mergeKey: 'ip' },
    [at(prefix, 'topologySpreadConstraints')]: { mergeKey: 'topologyKey' },
    [at(prefix, 'schedulingGates')]: { mergeKey: 'name' },
    [at(prefix, 'resourceClaims')]: { mergeKey: 'name' },
    [at(prefix, 'tolerations')]: { strategy: 'replace' },
  };
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    schema[at(prefix, list)] = { mergeKey: 'name' };
    Object.assign(schema, containerPatchSchema(`${at(prefix, list)}[]`));
  }
  return schema;
}

/** ObjectMeta under `prefix` (`metadata`, or `spec.template.metadata` for a pod template). */
export function objectMetaPatchSchema(prefix = 'metadata'): PatchSchema {
  return {
    [at(prefix, 'ownerReferences')]: { mergeKey: 'uid' },
    [at(prefix, 'finalizers')]: { strategy: 'merge' },
  };
}

/** `conditions` under `prefix` (usually `status`), merged by `type` as in every built-in kind. */
export function conditionsPatchSchema(prefix = 'status'): PatchSchema {
  return { [at(prefix, 'conditions')]: { mergeKey: 'type' } };
}

/** A whole Service: its metadata and `spec.ports` by `port`. */
export function servicePatchSchema(): PatchSchema {
  return {
    ...objectMetaPatchSchema(),
    'spec.ports': { mergeKey: 'port' },
    ...conditionsPatchSchema(),
  };
}

/** A whole Pod: metadata, spec and status. */
export function podPatchSchema(): PatchSchema {
  return {
    ...objectMetaPatchSchema(),
    ...podSpecPatchSchema('spec'),
    ...conditionsPatchSchema(),
    'status.podIPs': { mergeKey: 'ip' },
    'status.hostIPs': { mergeKey: 'ip' },
  };
}

/**
 * A whole object that embeds a pod template at `template` (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job: `spec.template`; CronJob: `spec.jobTemplate.spec.template`).
 */
export function workloadPatchSchema(template = 'spec.template'): PatchSchema {
  return {
    ...objectMetaPatchSchema(),
    ...objectMetaPatchSchema(at(template, 'metadata')),
    ...podSpecPatchSchema(at(template, 'spec')),
    ...conditionsPatchSchema(),
  };
}

/** A whole Node. */
export function nodePatchSchema(): PatchSchema {
  return {
    ...objectMetaPatchSchema(),
    'spec.podCIDRs': { strategy: 'merge' },
    ...conditionsPatchSchema(),
    'status.addresses': { mergeKey: 'type' },
  };
}
