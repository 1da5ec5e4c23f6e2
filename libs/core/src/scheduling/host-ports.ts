/**
 * Host ports (kube-scheduler's NodePorts plugin): a container port with a `hostPort` takes
 * that port on its node, so two pods asking for the same port, protocol and address cannot
 * share a node. An empty host IP (or 0.0.0.0) means every address, and so conflicts with any.
 */
import type { KubeObject } from '../api/types';
import { arr, obj } from '../resources/util';

/** A host port as `PROTOCOL/port/hostIP`, e.g. `TCP/8080/0.0.0.0` (IPv6 has no `/`). */
export type HostPortKey = string;

const ANY = '0.0.0.0';

/** The host ports a pod's containers ask for, one key each. */
export function podHostPorts(pod: KubeObject): HostPortKey[] {
  const keys: HostPortKey[] = [];
  for (const c of arr(obj(pod.spec).containers)) {
    for (const p of arr(obj(c).ports)) {
      const port = obj(p);
      const hostPort = port.hostPort;
      if (typeof hostPort !== 'number' || !Number.isInteger(hostPort) || hostPort <= 0) continue;
      const protocol = typeof port.protocol === 'string' && port.protocol ? port.protocol : 'TCP';
      const ip = typeof port.hostIP === 'string' && port.hostIP ? port.hostIP : ANY;
      keys.push(`${protocol}/${hostPort}/${ip}`);
    }
  }
  return keys;
}

/** Whether two host ports cannot both be had on one node. */
export function hostPortsConflict(a: HostPortKey, b: HostPortKey): boolean {
  const [pa, na, ia] = a.split('/');
  const [pb, nb, ib] = b.split('/');
  return pa === pb && na === nb && (ia === ib || ia === ANY || ib === ANY);
}

/** Whether any of `wanted` conflicts with a port already in `used`. */
export function anyHostPortConflict(
  wanted: readonly HostPortKey[],
  used: Iterable<HostPortKey>,
): boolean {
  if (wanted.length === 0) return false;
  for (const u of used) for (const w of wanted) if (hostPortsConflict(w, u)) return true;
  return false;
}
