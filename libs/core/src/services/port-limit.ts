/**
 * How many ports one Service may have: an admission limit every writer goes through (the
 * registry applies it, with the API server's `BERTH_SERVICE_MAX_PORTS`).
 *
 * Kubernetes sets no small limit on `spec.ports` (only the object size), but every port
 * costs each node proxy a listener (two with a node port): one Service with 20,000 ports
 * took an agent to its open-file limit. 100 is what Kubernetes documents as the most
 * ports an EndpointSlice carries ("Each slice may include a maximum of 100 ports"), so a
 * Service within it never needs its endpoints split by port, and it keeps one Service
 * (at most 200 listeners) at a tenth of a node proxy's default budget of 2,048 listeners.
 */
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe } from '../resources/causes';
import { arr, obj } from '../resources/util';

export const DEFAULT_MAX_SERVICE_PORTS = 100;

/**
 * The cause refusing `next` when it has more than `max` ports. An update that does not add
 * ports passes, so that lowering the limit never locks a stored Service (its status,
 * labels and finalizers stay writable), as Kubernetes ratchets tightened validation.
 */
export function servicePortCountCauses(
  next: KubeObject,
  current: KubeObject | undefined,
  max: number,
): StatusCause[] {
  const count = arr(obj(next.spec).ports).length;
  if (count <= max) return [];
  if (current && count <= arr(obj(current.spec).ports).length) return [];
  return [fe.tooMany('spec.ports', count, max, 'ports')];
}
