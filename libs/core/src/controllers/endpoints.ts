/**
 * The endpoints controller's decision (kube-controller-manager's endpoints controller),
 * pure: the Endpoints object of a Service with a selector, from the pods it selects.
 *
 * - Pods count when they are in the Service's namespace, match `spec.selector`, have a
 *   `status.podIP`, are not finished (Succeeded/Failed) and are not being deleted.
 * - Ready pods (condition Ready=True) go to `addresses`, others to `notReadyAddresses`
 *   (unless `spec.publishNotReadyAddresses`, which makes every pod ready).
 * - Each Service port resolves its `targetPort` per pod: a number as it is, a name
 *   through the pod's named container ports (a pod without that name is left out of that
 *   port's subset); a container port the runtime published on a node port (Berth's
 *   `containerStatuses[].hostPorts`) resolves to that node port; pods are grouped into subsets by their resolved ports, as Kubernetes'
 *   `RepackSubsets` does, so the result is stable.
 * - Services without a selector keep user-managed Endpoints: undefined.
 */
import type { KubeObject } from '../api/types';
import { arr, isPodReady, obj, str, type JsonObject } from './util';

export const ENDPOINTS_MANAGED_LABEL = 'endpoints.berth.dev/managed-by';
export const ENDPOINTS_CONTROLLER = 'endpoint-controller';

interface Address {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

interface Port {
  name?: string;
  port: number;
  protocol: string;
}

function selectorOf(svc: KubeObject): Record<string, string> | undefined {
  const sel = obj(svc.spec).selector;
  if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) return undefined;
  return sel as Record<string, string>;
}

function containerPort(pod: KubeObject, name: string, protocol: string): number | undefined {
  for (const c of arr(obj(pod.spec).containers)) {
    for (const p of arr(obj(c).ports)) {
      const port = obj(p);
      if (port.name === name && (str(port.protocol) || 'TCP') === protocol)
        return typeof port.containerPort === 'number' ? port.containerPort : undefined;
    }
  }
  return undefined;
}

/**
 * The node port a container port is published on, when the pod's runtime maps ports (Berth's
 * process runtime reports `status.containerStatuses[].hostPorts`); undefined otherwise.
 */
function hostPortOf(pod: KubeObject, containerPort: number, protocol: string): number | undefined {
  for (const cs of arr(obj(pod.status).containerStatuses)) {
    for (const hp of arr(obj(cs).hostPorts)) {
      const m = obj(hp);
      if (m.containerPort === containerPort && (str(m.protocol) || 'TCP') === protocol)
        return typeof m.hostPort === 'number' ? m.hostPort : undefined;
    }
  }
  return undefined;
}

function resolvePort(svcPort: JsonObject, pod: KubeObject): Port | undefined {
  const protocol = str(svcPort.protocol) || 'TCP';
  const target = svcPort.targetPort ?? svcPort.port;
  const port =
    typeof target === 'number'
      ? target
      : typeof target === 'string' && /^\d+$/.test(target)
        ? Number(target)
        : typeof target === 'string'
          ? containerPort(pod, target, protocol)
          : undefined;
  if (port === undefined) return undefined;
  return {
    ...(svcPort.name ? { name: str(svcPort.name) } : {}),
    port: hostPortOf(pod, port, protocol) ?? port,
    protocol,
  };
}

function compareAddress(a: Address, b: Address): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.name < b.targetRef.name ? -1 : 1;
}

/** The `subsets` of the Service's Endpoints, or undefined for a Service without a selector. */
export function endpointsSubsets(
  svc: KubeObject,
  pods: readonly KubeObject[],
): JsonObject[] | undefined {
  const selector = selectorOf(svc);
  if (!selector) return undefined;
  const namespace = svc.metadata.namespace ?? '';
  const publishNotReady = obj(svc.spec).publishNotReadyAddresses === true;
  const svcPorts = arr(obj(svc.spec).ports).map(obj);
  // Group by the resolved port list: pods that resolve the same ports share a subset.
  const groups = new Map<string, { ports: Port[]; ready: Address[]; notReady: Address[] }>();
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== namespace) continue;
    if (pod.metadata.deletionTimestamp) continue;
    const status = obj(pod.status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') continue;
    const ip = str(status.podIP);
    if (!ip) continue;
    const labels = pod.metadata.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const ports = svcPorts
      .map((p) => resolvePort(p, pod))
      .filter((p): p is Port => p !== undefined);
    if (svcPorts.length > 0 && ports.length === 0) continue;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, ready: [], notReady: [] };
    const nodeName = str(obj(pod.spec).nodeName);
    const address: Address = {
      ip,
      ...(nodeName ? { nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        namespace,
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
    };
    (publishNotReady || isPodReady(pod) ? group.ready : group.notReady).push(address);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(compareAddress) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(compareAddress) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    })) as unknown as JsonObject[];
}

/** The whole Endpoints object the controller keeps for `svc` (labels copied, as Kubernetes does). */
export function desiredEndpoints(
  svc: KubeObject,
  pods: readonly KubeObject[],
): KubeObject | undefined {
  const subsets = endpointsSubsets(svc, pods);
  if (subsets === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata.name,
      namespace: svc.metadata.namespace,
      labels: { ...(svc.metadata.labels ?? {}), [ENDPOINTS_MANAGED_LABEL]: ENDPOINTS_CONTROLLER },
    },
    subsets,
  };
}
