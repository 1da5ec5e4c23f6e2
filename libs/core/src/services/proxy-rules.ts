/**
 * What a node proxy (kube-proxy) does for a Service, pure: which addresses and ports it
 * listens on and where each connection may go. One rule per TCP Service port: the
 * cluster IP and port, plus the node port on the node's address for NodePort (and
 * LoadBalancer) Services; the backends are the ready addresses of the Service's
 * Endpoints with the subset port of the same name (any node: traffic crosses nodes).
 */
import type { KubeObject } from '../api/types';
import { arr, isObject, obj, str } from '../resources/util';
import { needsNodePort } from './allocation';

export interface Backend {
  ip: string;
  port: number;
}

export interface ProxyRule {
  /** `namespace/name:portName` (the port name may be empty). */
  servicePort: string;
  /** Where to listen: the cluster IP and the node port when there is one. */
  listen: Array<{ address: string; port: number }>;
  backends: Backend[];
  /** `sessionAffinity: ClientIP`: how long a client sticks to its backend; absent for None. */
  affinityTimeoutSeconds?: number;
}

/** Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

/** Why some of a Service's ports get no rule (the proxy logs this once). */
export interface SkippedPort {
  servicePort: string;
  reason: string;
}

export function backendKey(b: Backend): string {
  return `${b.ip}:${b.port}`;
}

/**
 * The rules for `service` with its `endpoints` (undefined when there are none yet), on a
 * node whose address is `nodeIP`. Headless and ExternalName Services have none; non-TCP
 * ports are skipped (Berth's proxy forwards TCP only).
 */
export function proxyRules(
  service: KubeObject,
  endpoints: KubeObject | undefined,
  nodeIP: string,
): { rules: ProxyRule[]; skipped: SkippedPort[] } {
  const rules: ProxyRule[] = [];
  const skipped: SkippedPort[] = [];
  const spec = obj(service.spec);
  const type = str(spec.type) || 'ClusterIP';
  const clusterIP = str(spec.clusterIP);
  if (type === 'ExternalName' || clusterIP === 'None') return { rules, skipped };
  const id = `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`;
  const affinity =
    str(spec.sessionAffinity) === 'ClientIP'
      ? affinityTimeout(obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds)
      : undefined;
  const withNodePort = needsNodePort(service);
  for (const raw of arr(spec.ports)) {
    if (!isObject(raw) || typeof raw.port !== 'number') continue;
    const name = str(raw.name);
    const protocol = str(raw.protocol) || 'TCP';
    const servicePort = `${id}:${name}`;
    if (protocol !== 'TCP') {
      skipped.push({ servicePort, reason: `${protocol} is not proxied (TCP only)` });
      continue;
    }
    const listen: ProxyRule['listen'] = [];
    if (clusterIP) listen.push({ address: clusterIP, port: raw.port });
    if (withNodePort && typeof raw.nodePort === 'number' && raw.nodePort > 0)
      listen.push({ address: nodeIP, port: raw.nodePort });
    if (!listen.length) continue;
    rules.push({
      servicePort,
      listen,
      backends: endpoints ? backendsFor(endpoints, name, protocol) : [],
      ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
    });
  }
  return { rules, skipped };
}

function affinityTimeout(raw: unknown): number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw > 0
    ? raw
    : DEFAULT_AFFINITY_TIMEOUT_SECONDS;
}

/** The ready addresses × the subset port named `portName`, each once, in a stable order. */
export function backendsFor(endpoints: KubeObject, portName: string, protocol = 'TCP'): Backend[] {
  const out = new Map<string, Backend>();
  for (const s of arr((endpoints as { subsets?: unknown }).subsets)) {
    const subset = obj(s);
    const port = arr(subset.ports)
      .map(obj)
      .find((p) => str(p.name) === portName && (str(p.protocol) || 'TCP') === protocol);
    if (!port || typeof port.port !== 'number') continue;
    for (const a of arr(subset.addresses)) {
      const ip = str(obj(a).ip);
      if (!ip) continue;
      const b = { ip, port: port.port };
      out.set(backendKey(b), b);
    }
  }
  return [...out.values()].sort((a, b) => (backendKey(a) < backendKey(b) ? -1 : 1));
}
