/**
 * Cluster IPs and node ports for Services, allocated where every writer creates and
 * updates them: in the registry, inside the store transaction that writes the Service.
 * That transaction holds the revision lock, so the Services it reads are all there are
 * and no concurrent write can take the same value before it commits. What is in use is
 * derived from the stored Services (a deleted Service frees its values); the choice
 * itself is pure (libs/core `allocateServiceValues`).
 */
import {
  allocateServiceValues,
  DEFAULT_MAX_SERVICE_PORTS,
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  errors,
  PortRange,
  serviceAllocations,
  ServiceIPRange,
  servicePortCountCauses,
  type AllocationRanges,
  type KubeObject,
} from '@berth/core';
import type { StoredObject } from '@berth/store';

export interface ServiceAllocationOptions {
  /** IPv4 CIDR cluster IPs are handed out of (default 127.96.0.0/12, on loopback). */
  serviceCIDR?: string;
  /** Node ports, e.g. `30000-32767` (the default). */
  nodePortRange?: string;
  /** The most ports one Service may have (default 100; see libs/core port-limit.ts). */
  maxPorts?: number;
}

/** Reads the Services as they are (in the writing transaction, or a snapshot for dry runs). */
export type ServiceSource = () => Promise<StoredObject[]>;

export class ServiceAllocator {
  readonly ranges: AllocationRanges;
  readonly maxPorts: number;

  constructor(opts: ServiceAllocationOptions = {}) {
    this.ranges = {
      ips: ServiceIPRange.parse(opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR),
      nodePorts: PortRange.parse(opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE),
    };
    this.maxPorts = opts.maxPorts ?? DEFAULT_MAX_SERVICE_PORTS;
  }

  /**
   * 422 when `next` has more ports than allowed (and, on updates, more than `current`).
   * Checked before the rest of validation: one cause, not one per port.
   */
  assertPortCount(next: KubeObject, current: KubeObject | undefined): void {
    const causes = servicePortCountCauses(next, current, this.maxPorts);
    if (causes.length) throw errors.invalid('Service', next.metadata.name ?? '', causes);
  }

  /**
   * Gives `next` (and `current`, its stored version, on updates) its values, in place;
   * 422 with Kubernetes' words when a requested one is taken or out of range.
   */
  async allocate(
    services: ServiceSource,
    next: KubeObject,
    current: KubeObject | undefined,
  ): Promise<void> {
    const self = `${next.metadata.namespace ?? ''}/${next.metadata.name ?? ''}`;
    const used = serviceAllocations(
      (await services()).map((s) => s.object as KubeObject),
      self,
    );
    const causes = allocateServiceValues(next, current, used, this.ranges);
    if (causes.length) throw errors.invalid('Service', next.metadata.name ?? '', causes);
  }
}
