/**
 * ClusterIP and NodePort allocation for Services, pure: given the values other Services
 * hold, choose or check this Service's — as kube-apiserver's service REST storage does
 * (`patchAllocatedValues`, `dropTypeDependentFields`, the IP and port allocators). The
 * registry runs it inside the store transaction that writes the Service, so concurrent
 * creates never share a value; what is in use is derived from the stored Services.
 *
 * IPv4 only. Berth's default service range is on loopback (127.96.0.0/12): every Linux
 * host routes all of 127.0.0.0/8 to `lo`, so a node proxy can listen on a cluster IP
 * without any network set-up.
 */
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe } from '../resources/causes';
import { isIPv4 } from '../resources/names';
import { arr, isObject, obj, str, type JsonObject } from '../resources/util';

export const DEFAULT_SERVICE_CIDR = '127.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIP(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 CIDR block to hand cluster IPs out of (network and broadcast addresses excluded). */
export class ServiceIPRange {
  private constructor(
    readonly cidr: string,
    /** The first usable address, as a number. */
    private readonly first: number,
    /** How many addresses may be handed out. */
    readonly size: number,
  ) {}

  /** Parses `a.b.c.d/n` (IPv4, n from 8 to 30); throws with a readable message otherwise. */
  static parse(cidr: string): ServiceIPRange {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr.trim());
    if (!m || !isIPv4(m[1])) throw new Error(`"${cidr}" is not an IPv4 CIDR such as 127.96.0.0/12`);
    const bits = Number(m[2]);
    if (bits < 8 || bits > 30)
      throw new Error(`"${cidr}": the prefix length must be between 8 and 30`);
    const total = 2 ** (32 - bits);
    const network = ipToInt(m[1]) - (ipToInt(m[1]) % total);
    return new ServiceIPRange(`${intToIP(network)}/${bits}`, network + 1, total - 2);
  }

  contains(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const offset = ipToInt(ip) - this.first;
    return offset >= 0 && offset < this.size;
  }

  /** The `offset`-th usable address (0 ≤ offset < size). */
  at(offset: number): string {
    return intToIP(this.first + offset);
  }
}

/** An inclusive port range such as `30000-32767`. */
export class PortRange {
  private constructor(
    readonly base: number,
    readonly size: number,
  ) {}

  static parse(raw: string): PortRange {
    const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(raw.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    if (!m || lo < 1 || hi > 65535 || lo > hi)
      throw new Error(`"${raw}" is not a port range such as 30000-32767`);
    return new PortRange(lo, hi - lo + 1);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  toString(): string {
    return `${this.base}-${this.base + this.size - 1}`;
  }
}

/**
 * A free offset in `[0, size)`: a random start, then the next free one (wrapping), as the
 * Kubernetes allocators do — random, so that two clusters or test runs on one host rarely
 * pick the same address. Undefined when every offset is taken.
 */
export function pickFree(
  size: number,
  taken: (offset: number) => boolean,
  random: () => number = Math.random,
): number | undefined {
  if (size <= 0) return undefined;
  const start = Math.min(size - 1, Math.floor(random() * size));
  for (let i = 0; i < size; i++) {
    const offset = (start + i) % size;
    if (!taken(offset)) return offset;
  }
  return undefined;
}

/** The cluster IPs and node ports held by Services. */
export interface ServiceAllocations {
  clusterIPs: Set<string>;
  nodePorts: Set<number>;
}

function serviceType(svc: KubeObject): string {
  return str(obj(svc.spec).type) || 'ClusterIP';
}

/** Kubernetes' needsClusterIP: every type but ExternalName has one (or is headless). */
export function needsClusterIP(svc: KubeObject): boolean {
  return serviceType(svc) !== 'ExternalName';
}

/** Kubernetes' needsNodePort: NodePort, and LoadBalancer unless it opts out. */
export function needsNodePort(svc: KubeObject): boolean {
  const type = serviceType(svc);
  return (
    type === 'NodePort' ||
    (type === 'LoadBalancer' && obj(svc.spec).allocateLoadBalancerNodePorts !== false)
  );
}

function ports(svc: KubeObject): JsonObject[] {
  return arr(obj(svc.spec).ports).filter(isObject);
}

function nodePortOf(port: JsonObject): number | undefined {
  return typeof port.nodePort === 'number' && port.nodePort !== 0 ? port.nodePort : undefined;
}

function clusterIPsOf(svc: KubeObject): string[] {
  const spec = obj(svc.spec);
  const ips = arr(spec.clusterIPs).filter((s): s is string => typeof s === 'string' && s !== '');
  const ip = str(spec.clusterIP);
  return ips.length ? ips : ip ? [ip] : [];
}

/** What `services` hold, leaving out the Service `except` (`namespace/name`) itself. */
export function serviceAllocations(services: KubeObject[], except?: string): ServiceAllocations {
  const out: ServiceAllocations = { clusterIPs: new Set(), nodePorts: new Set() };
  for (const svc of services) {
    if (except && `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}` === except) continue;
    if (needsClusterIP(svc))
      for (const ip of clusterIPsOf(svc)) if (ip !== 'None') out.clusterIPs.add(ip);
    if (needsNodePort(svc))
      for (const p of ports(svc)) {
        const np = nodePortOf(p);
        if (np !== undefined) out.nodePorts.add(np);
      }
  }
  return out;
}

/**
 * An update keeps what the stored Service was given (Kubernetes' `patchAllocatedValues`
 * and `dropTypeDependentFields`), changing `next` in place: a spec without a clusterIP
 * keeps the old one, a port without a nodePort keeps its old node port; a type that no
 * longer needs them (or `externalTrafficPolicy`, `allocateLoadBalancerNodePorts`) drops
 * them, when the client left them as they were.
 */
export function keepAllocatedValues(next: KubeObject, old: KubeObject): void {
  if (!isObject(next.spec)) next.spec = {};
  const spec = next.spec as JsonObject;
  const oldSpec = obj(old.spec);
  if (needsClusterIP(old) && needsClusterIP(next)) {
    if (!str(spec.clusterIP) && oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(oldSpec.clusterIPs).length > 0)
      spec.clusterIPs = [...arr(oldSpec.clusterIPs)];
  }
  const oldPorts = ports(old);
  if (needsNodePort(old) && needsNodePort(next)) {
    const newPorts = ports(next);
    for (const p of newPorts) {
      if (nodePortOf(p) !== undefined) continue;
      const protocol = str(p.protocol) || 'TCP';
      const match =
        oldPorts.find(
          (o) =>
            o.port === p.port &&
            (str(o.protocol) || 'TCP') === protocol &&
            nodePortOf(o) !== undefined,
        ) ?? (newPorts.length === 1 && oldPorts.length === 1 ? oldPorts[0] : undefined);
      const np = match && nodePortOf(match);
      if (np !== undefined) p.nodePort = np;
    }
  }
  if (needsClusterIP(old) && !needsClusterIP(next)) {
    if (
      JSON.stringify(clusterIPsOf(next)) === JSON.stringify(clusterIPsOf(old)) ||
      clusterIPsOf(next).length === 0
    ) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
  }
  if (needsNodePort(old) && !needsNodePort(next)) {
    const oldNodePorts = new Set(oldPorts.map(nodePortOf).filter((n) => n !== undefined));
    const unchanged = ports(next).every((p) => {
      const np = nodePortOf(p);
      return np === undefined || oldNodePorts.has(np);
    });
    if (unchanged) for (const p of ports(next)) delete p.nodePort;
  }
  const external = (svc: KubeObject) => ['NodePort', 'LoadBalancer'].includes(serviceType(svc));
  if (
    external(old) &&
    !external(next) &&
    spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy
  )
    delete spec.externalTrafficPolicy;
  if (
    serviceType(old) === 'LoadBalancer' &&
    serviceType(next) !== 'LoadBalancer' &&
    spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts
  )
    delete spec.allocateLoadBalancerNodePorts;
}

/**
 * True when writing `next` (over `old`, for an update) must allocate or check a value
 * against the other Services: a cluster IP or node port missing, or one it did not hold.
 */
export function needsAllocation(next: KubeObject, old?: KubeObject): boolean {
  if (next.apiVersion !== 'v1' || next.kind !== 'Service') return false;
  if (needsClusterIP(next)) {
    const ip = str(obj(next.spec).clusterIP);
    if (!ip) return true;
    if (ip !== 'None' && (!old || !clusterIPsOf(old).includes(ip))) return true;
  }
  if (needsNodePort(next)) {
    const held = new Set(old ? ports(old).map(nodePortOf) : []);
    for (const p of ports(next)) {
      const np = nodePortOf(p);
      if (np === undefined || !held.has(np)) return true;
    }
  }
  return false;
}

export interface AllocationRanges {
  ips: ServiceIPRange;
  nodePorts: PortRange;
}

/**
 * Gives `next` its cluster IP and node ports, in place: requested ones are checked (in
 * range, not held by another Service — `used` leaves this Service out), missing ones are
 * chosen. Values `old` (the stored version) held are kept without checks. Returns the
 * causes of a refusal (422), worded like Kubernetes'; empty when `next` may be written.
 */
export function allocateServiceValues(
  next: KubeObject,
  old: KubeObject | undefined,
  used: ServiceAllocations,
  ranges: AllocationRanges,
  random: () => number = Math.random,
): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isObject(next.spec)) next.spec = {};
  const spec = next.spec as JsonObject;
  if (needsClusterIP(next)) {
    const ip = str(spec.clusterIP);
    const heldBefore = old ? clusterIPsOf(old) : [];
    if (ip === 'None') {
      spec.clusterIPs = ['None'];
    } else if (!ip) {
      const offset = pickFree(
        ranges.ips.size,
        (o) => used.clusterIPs.has(ranges.ips.at(o)),
        random,
      );
      if (offset === undefined) {
        causes.push(
          fe.invalid(
            'spec.clusterIPs',
            [],
            `failed to allocate a cluster IP: range is full (every address of ${ranges.ips.cidr} is in use)`,
          ),
        );
      } else {
        spec.clusterIP = ranges.ips.at(offset);
        spec.clusterIPs = [spec.clusterIP];
      }
    } else if (!heldBefore.includes(ip)) {
      if (!ranges.ips.contains(ip)) {
        causes.push(
          fe.invalid(
            'spec.clusterIPs',
            [ip],
            `failed to allocate IP ${ip}: provided IP is not in the valid range. The range of valid IPs is ${ranges.ips.cidr}`,
          ),
        );
      } else if (used.clusterIPs.has(ip)) {
        causes.push(
          fe.invalid(
            'spec.clusterIPs',
            [ip],
            `failed to allocate IP ${ip}: provided IP is already allocated`,
          ),
        );
      }
      spec.clusterIPs = [ip];
    }
  }
  if (needsNodePort(next)) {
    const held = new Set(old ? ports(old).map(nodePortOf) : []);
    const mine = new Set<number>();
    const list = ports(next);
    list.forEach((p, i) => {
      const np = nodePortOf(p);
      if (np === undefined) return;
      if (!held.has(np)) {
        if (!ranges.nodePorts.contains(np)) {
          causes.push(
            fe.invalid(
              `spec.ports[${i}].nodePort`,
              np,
              `provided port is not in the valid range. The range of valid ports is ${ranges.nodePorts.toString()}`,
            ),
          );
        } else if (used.nodePorts.has(np)) {
          causes.push(
            fe.invalid(`spec.ports[${i}].nodePort`, np, 'provided port is already allocated'),
          );
        }
      }
      mine.add(np);
    });
    list.forEach((p, i) => {
      if (nodePortOf(p) !== undefined) return;
      const offset = pickFree(
        ranges.nodePorts.size,
        (o) => used.nodePorts.has(ranges.nodePorts.base + o) || mine.has(ranges.nodePorts.base + o),
        random,
      );
      if (offset === undefined) {
        causes.push(
          fe.invalid(
            `spec.ports[${i}].nodePort`,
            0,
            `failed to allocate a node port: range is full (every port of ${ranges.nodePorts.toString()} is in use)`,
          ),
        );
        return;
      }
      p.nodePort = ranges.nodePorts.base + offset;
      mine.add(p.nodePort as number);
    });
  }
  return causes;
}
