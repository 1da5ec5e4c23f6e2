/** Pods: start Pending, take LimitRange defaults, are charged in batches, carry scheduler fields. */
import {
  otherResources,
  podDefinition,
  podHostPorts,
  podNonZeroRequests,
  podRequests,
  podSpecPatchSchema,
  type KubeObject,
} from '@berth/core';
import { encodeOtherRequests, POD_FIELDS, podBucket } from '@berth/store';
import { defineStrategy } from '../strategy';

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

export const podStrategy = defineStrategy(podDefinition, {
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending' };
  },
  limitRanges: true,
  batchCreates: true,
  storedFields: podInternalFields,
  patchSchema: podSpecPatchSchema('spec'),
});
