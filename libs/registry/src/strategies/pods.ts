/** Pods: start Pending, take LimitRange defaults, are charged in batches, carry scheduler fields. */
import {
  DEFAULT_SERVICE_ACCOUNT,
  errors,
  otherResources,
  qualifiedResource,
  serviceAccountDefinition,
  podDefinition,
  podHostPorts,
  podNonZeroRequests,
  podRequests,
  podSpecPatchSchema,
  workloads,
  type KubeObject,
} from '@berth/core';
import { randomInt } from 'node:crypto';
import { encodeOtherRequests, POD_FIELDS, podBucket } from '@berth/store';
import { defineStrategy, type StrategyContext } from '../strategy';

/**
 * What the scheduler sums per node in SQL: the pod's effective requests (cpu, memory and
 * every other resource) and its controller. Stored with the pod; not selectable through the API.
 */
function podInternalFields(pod: KubeObject): Record<string, string> {
  try {
    const requests = podRequests(pod);
    const nonZero = podNonZeroRequests(pod);
    const owner = (pod.metadata.ownerReferences ?? []).find((r) => r.controller);
    const hostPorts = podHostPorts(pod);
    const other = encodeOtherRequests(otherResources(requests));
    return {
      [POD_FIELDS.milliCpu]: requests.milliCpu.toString(),
      [POD_FIELDS.memory]: requests.memory.toString(),
      [POD_FIELDS.nonZeroMilliCpu]: nonZero.milliCpu.toString(),
      [POD_FIELDS.nonZeroMemory]: nonZero.memory.toString(),
      [POD_FIELDS.bucket]: String(
        podBucket(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`),
      ),
      ...(owner ? { [POD_FIELDS.owner]: owner.uid } : {}),
      ...(hostPorts.length ? { [POD_FIELDS.hostPorts]: hostPorts.join(',') } : {}),
      ...(other ? { [POD_FIELDS.other]: other } : {}),
    };
  } catch {
    return {};
  }
}

const SERVICE_ACCOUNTS = qualifiedResource(serviceAccountDefinition);

interface ServiceAccountFields {
  serviceAccountName?: string;
  serviceAccount?: string;
}

/**
 * Kubernetes' ServiceAccount admission: a pod runs as `default` unless it names an account,
 * and one naming an account that does not exist is refused (403, as kube-apiserver). A
 * missing `default` is let through: every namespace gets it in its creating transaction
 * (and again from the service account controller), so it is only missing for a moment
 * after someone deletes it, and refusing pods then would break workloads for no gain.
 * Then the account's token is mounted (the `kube-api-access-…` projected volume) unless
 * the pod or the account turns `automountServiceAccountToken` off.
 */
async function admitServiceAccount(ctx: StrategyContext, pod: KubeObject): Promise<void> {
  const spec = pod.spec as ServiceAccountFields | undefined;
  const name = spec?.serviceAccountName || DEFAULT_SERVICE_ACCOUNT;
  const namespace = pod.metadata.namespace ?? '';
  const stored = await ctx.repo.get({ resource: SERVICE_ACCOUNTS, namespace, name });
  if (!stored && name !== DEFAULT_SERVICE_ACCOUNT)
    throw errors.forbidden(
      `pods "${pod.metadata.name ?? ''}" is forbidden: error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
      { name: pod.metadata.name, kind: 'pods' },
    );
  workloads.mountServiceAccountToken(pod, stored?.object as KubeObject | undefined, () =>
    workloads.nameSuffix(() => randomInt(1 << 30) / (1 << 30)),
  );
}

export const podStrategy = defineStrategy(podDefinition, {
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending' };
    const spec = pod.spec as ServiceAccountFields | undefined;
    if (spec && !spec.serviceAccountName && !spec.serviceAccount)
      spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
  },
  admitCreate: admitServiceAccount,
  limitRanges: true,
  batchCreates: true,
  storedFields: podInternalFields,
  patchSchema: podSpecPatchSchema('spec'),
});
