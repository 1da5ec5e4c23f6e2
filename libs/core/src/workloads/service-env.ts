/**
 * Service link environment variables (kubelet getServiceEnvVarMap and
 * pkg/kubelet/envvars FromServices): `{SVC}_SERVICE_HOST`, `{SVC}_SERVICE_PORT`,
 * `{SVC}_SERVICE_PORT_{PORTNAME}` and the Docker-link style `{SVC}_PORT…` variables.
 */
import type { KubeObject } from '../api/types';
import { arr, obj, str } from '../resources/util';

export interface EnvVar {
  name: string;
  value: string;
}

/** The master services every pod sees (from `default`), whatever enableServiceLinks says. */
const MASTER_SERVICES = new Set(['kubernetes']);

function isServiceIPSet(svc: KubeObject): boolean {
  const ip = str(obj(svc.spec).clusterIP);
  return ip !== '' && ip !== 'None';
}

/** envvars.makeEnvVariableName: upper case, `-` → `_`. */
export function envVariableName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

/** net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** envvars.FromServices for one service, in Kubernetes' order. */
export function serviceEnvVars(svc: KubeObject): EnvVar[] {
  const spec = obj(svc.spec);
  const ports = arr(spec.ports).map(obj);
  if (!isServiceIPSet(svc) || ports.length === 0) return [];
  const ip = str(spec.clusterIP);
  const prefix = envVariableName(str(obj(svc.metadata).name));
  const portOf = (p: Record<string, unknown>) => (typeof p.port === 'number' ? p.port : 0);
  const out: EnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: ip },
    { name: `${prefix}_SERVICE_PORT`, value: String(portOf(ports[0]!)) },
  ];
  for (const p of ports) {
    const portName = str(p.name);
    if (portName)
      out.push({
        name: `${prefix}_SERVICE_PORT_${envVariableName(portName)}`,
        value: String(portOf(p)),
      });
  }
  ports.forEach((p, i) => {
    const protocol = str(p.protocol) || 'TCP';
    const lower = protocol.toLowerCase();
    const url = `${lower}://${joinHostPort(ip, portOf(p))}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${portOf(p)}_${protocol.toUpperCase()}`;
    out.push(
      { name: portPrefix, value: url },
      { name: `${portPrefix}_PROTO`, value: lower },
      { name: `${portPrefix}_PORT`, value: String(portOf(p)) },
      { name: `${portPrefix}_ADDR`, value: ip },
    );
  });
  return out;
}

/**
 * kubelet getServiceEnvVarMap: the variables of the services a pod in `namespace` sees —
 * `default/kubernetes` always, the namespace's own services when `enableServiceLinks`.
 * Services without a cluster IP (headless, ExternalName) give none. The kubelet builds a
 * map, so its order is unspecified; here services are taken by name, each in
 * FromServices' order. A service of the pod's namespace named like a master service
 * replaces it, as in the kubelet.
 */
export function serviceLinkEnv(
  services: readonly KubeObject[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const byName = new Map<string, KubeObject>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const meta = obj(svc.metadata);
    const svcName = str(meta.name);
    const svcNamespace = str(meta.namespace);
    if (svcNamespace === 'default' && MASTER_SERVICES.has(svcName)) {
      if (!byName.has(svcName)) byName.set(svcName, svc);
    } else if (svcNamespace === namespace && enableServiceLinks) {
      byName.set(svcName, svc);
    }
  }
  const out = new Map<string, string>();
  for (const svcName of [...byName.keys()].sort()) {
    for (const e of serviceEnvVars(byName.get(svcName)!)) out.set(e.name, e.value);
  }
  return out;
}
