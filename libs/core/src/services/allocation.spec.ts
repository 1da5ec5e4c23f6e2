import type { KubeObject } from '../api/types';
import {
  allocateServiceValues,
  keepAllocatedValues,
  needsAllocation,
  pickFree,
  PortRange,
  serviceAllocations,
  ServiceIPRange,
  type ServiceAllocations,
} from './allocation';

function svc(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec };
}

const ranges = {
  ips: ServiceIPRange.parse('127.96.0.0/29'),
  nodePorts: PortRange.parse('30000-30003'),
};
const none = (): ServiceAllocations => ({ clusterIPs: new Set(), nodePorts: new Set() });
const messages = (causes: Array<{ field?: string; message: string }>) =>
  causes.map((c) => `${c.field}: ${c.message}`);

describe('ServiceIPRange and PortRange', () => {
  it('parses a CIDR, leaving out the network and broadcast addresses', () => {
    const r = ServiceIPRange.parse('127.96.0.0/29');
    expect(r.size).toBe(6);
    expect(r.at(0)).toBe('127.96.0.1');
    expect(r.at(5)).toBe('127.96.0.6');
    expect(r.contains('127.96.0.0')).toBe(false);
    expect(r.contains('127.96.0.1')).toBe(true);
    expect(r.contains('127.96.0.7')).toBe(false);
    expect(r.contains('10.0.0.1')).toBe(false);
    expect(r.contains('not-an-ip')).toBe(false);
    // The default /12: 2^20 - 2 addresses, a host part given is masked off.
    const big = ServiceIPRange.parse('127.100.1.2/12');
    expect(big.cidr).toBe('127.96.0.0/12');
    expect(big.size).toBe(2 ** 20 - 2);
    expect(big.at(big.size - 1)).toBe('127.111.255.254');
  });

  it('refuses what is not an IPv4 CIDR or a port range', () => {
    expect(() => ServiceIPRange.parse('127.96.0.0')).toThrow(/not an IPv4 CIDR/);
    expect(() => ServiceIPRange.parse('fd00::/108')).toThrow(/not an IPv4 CIDR/);
    expect(() => ServiceIPRange.parse('127.0.0.0/31')).toThrow(/between 8 and 30/);
    expect(() => PortRange.parse('32767-30000')).toThrow(/port range/);
    expect(() => PortRange.parse('0-10')).toThrow(/port range/);
    expect(PortRange.parse('30000-32767').toString()).toBe('30000-32767');
    expect(PortRange.parse('30000-32767').contains(32768)).toBe(false);
  });
});

describe('pickFree', () => {
  it('starts at a random offset and takes the next free one, wrapping', () => {
    const taken = new Set([2, 3]);
    expect(
      pickFree(
        5,
        (o) => taken.has(o),
        () => 0.4,
      ),
    ).toBe(4);
    expect(
      pickFree(
        5,
        (o) => taken.has(o),
        () => 0.99,
      ),
    ).toBe(4);
    expect(
      pickFree(
        5,
        (o) => o >= 2,
        () => 0.99,
      ),
    ).toBe(0);
    expect(
      pickFree(
        5,
        () => true,
        () => 0.5,
      ),
    ).toBeUndefined();
    expect(pickFree(0, () => false)).toBeUndefined();
  });

  it('hands out every offset exactly once until the range is full', () => {
    const used = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const o = pickFree(50, (x) => used.has(x));
      expect(o).toBeDefined();
      expect(used.has(o!)).toBe(false);
      used.add(o!);
    }
    expect(pickFree(50, (x) => used.has(x))).toBeUndefined();
  });
});

describe('allocateServiceValues', () => {
  it('gives a ClusterIP Service a free address of the range, and clusterIPs with it', () => {
    const used = none();
    used.clusterIPs.add('127.96.0.1');
    const s = svc('a', { type: 'ClusterIP', ports: [{ port: 80 }] });
    expect(allocateServiceValues(s, undefined, used, ranges, () => 0)).toEqual([]);
    expect(s.spec).toMatchObject({ clusterIP: '127.96.0.2', clusterIPs: ['127.96.0.2'] });
  });

  it('checks a requested address: in range and free', () => {
    const used = none();
    used.clusterIPs.add('127.96.0.3');
    const taken = svc('a', { clusterIP: '127.96.0.3', ports: [{ port: 80 }] });
    expect(messages(allocateServiceValues(taken, undefined, used, ranges))).toEqual([
      'spec.clusterIPs: Invalid value: ["127.96.0.3"]: failed to allocate IP 127.96.0.3: provided IP is already allocated',
    ]);
    const outside = svc('a', { clusterIP: '10.0.0.1', ports: [{ port: 80 }] });
    expect(messages(allocateServiceValues(outside, undefined, used, ranges))).toEqual([
      'spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: provided IP is not in the valid range. The range of valid IPs is 127.96.0.0/29',
    ]);
    const free = svc('a', { clusterIP: '127.96.0.4', ports: [{ port: 80 }] });
    expect(allocateServiceValues(free, undefined, used, ranges)).toEqual([]);
    expect(free.spec).toMatchObject({ clusterIP: '127.96.0.4', clusterIPs: ['127.96.0.4'] });
  });

  it('keeps what the stored version held without checking it again', () => {
    const old = svc('a', {
      clusterIP: '10.0.0.1',
      clusterIPs: ['10.0.0.1'],
      ports: [{ port: 80 }],
    });
    const next = svc('a', {
      clusterIP: '10.0.0.1',
      clusterIPs: ['10.0.0.1'],
      ports: [{ port: 81 }],
    });
    expect(allocateServiceValues(next, old, none(), ranges)).toEqual([]);
  });

  it('gives headless and ExternalName Services no address', () => {
    const headless = svc('h', { clusterIP: 'None', ports: [{ port: 80 }] });
    expect(allocateServiceValues(headless, undefined, none(), ranges)).toEqual([]);
    expect(headless.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
    const ext = svc('e', { type: 'ExternalName', externalName: 'example.com' });
    expect(allocateServiceValues(ext, undefined, none(), ranges)).toEqual([]);
    expect(ext.spec).not.toHaveProperty('clusterIP');
  });

  it('says so when the range is full', () => {
    const used = none();
    for (let i = 1; i <= 6; i++) used.clusterIPs.add(`127.96.0.${i}`);
    const causes = allocateServiceValues(
      svc('a', { ports: [{ port: 80 }] }),
      undefined,
      used,
      ranges,
    );
    expect(messages(causes)).toEqual([
      'spec.clusterIPs: Invalid value: []: failed to allocate a cluster IP: range is full (every address of 127.96.0.0/29 is in use)',
    ]);
  });

  it('gives each port of a NodePort Service a free node port, after the requested ones', () => {
    const used = none();
    used.nodePorts.add(30000);
    const s = svc('np', {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 81, nodePort: 30001 },
        { name: 'c', port: 82 },
      ],
    });
    expect(allocateServiceValues(s, undefined, used, ranges, () => 0)).toEqual([]);
    expect((s.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'a', port: 80, nodePort: 30002 },
      { name: 'b', port: 81, nodePort: 30001 },
      { name: 'c', port: 82, nodePort: 30003 },
    ]);
    // The range is now full.
    used.nodePorts = new Set([30000, 30001, 30002, 30003]);
    const more = svc('more', { type: 'NodePort', ports: [{ port: 80 }] });
    expect(messages(allocateServiceValues(more, undefined, used, ranges))[0]).toMatch(
      /spec.ports\[0\].nodePort: .*range is full/,
    );
  });

  it('refuses a requested node port another Service holds, or outside the range', () => {
    const used = none();
    used.nodePorts.add(30002);
    const s = svc('np', {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, nodePort: 30002 },
        { name: 'b', port: 81, nodePort: 8080 },
      ],
    });
    expect(messages(allocateServiceValues(s, undefined, used, ranges))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 30002: provided port is already allocated',
      'spec.ports[1].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-30003',
    ]);
  });

  it('gives LoadBalancer Services node ports unless they opt out', () => {
    const lb = svc('lb', { type: 'LoadBalancer', ports: [{ port: 80 }] });
    allocateServiceValues(lb, undefined, none(), ranges);
    expect((lb.spec as { ports: Array<{ nodePort?: number }> }).ports[0].nodePort).toBeDefined();
    const optOut = svc('lb', {
      type: 'LoadBalancer',
      allocateLoadBalancerNodePorts: false,
      ports: [{ port: 80 }],
    });
    allocateServiceValues(optOut, undefined, none(), ranges);
    expect(
      (optOut.spec as { ports: Array<{ nodePort?: number }> }).ports[0].nodePort,
    ).toBeUndefined();
  });
});

describe('serviceAllocations', () => {
  it('collects the addresses and node ports in use, leaving out one Service', () => {
    const used = serviceAllocations(
      [
        svc('a', { clusterIP: '127.96.0.1', clusterIPs: ['127.96.0.1'], ports: [{ port: 80 }] }),
        svc('b', {
          type: 'NodePort',
          clusterIP: '127.96.0.2',
          ports: [{ port: 80, nodePort: 30001 }],
        }),
        svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('e', { type: 'ExternalName', externalName: 'x.example' }),
      ],
      'ns/a',
    );
    expect([...used.clusterIPs]).toEqual(['127.96.0.2']);
    expect([...used.nodePorts]).toEqual([30001]);
  });
});

describe('keepAllocatedValues (an update)', () => {
  const stored = svc('np', {
    type: 'NodePort',
    clusterIP: '127.96.0.5',
    clusterIPs: ['127.96.0.5'],
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', nodePort: 30001 },
      { name: 'https', port: 443, protocol: 'TCP', nodePort: 30002 },
    ],
  });

  it('keeps the cluster IP and node ports an update leaves out', () => {
    const next = svc('np', {
      type: 'NodePort',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
        { name: 'new', port: 8080, protocol: 'TCP' },
      ],
    });
    keepAllocatedValues(next, stored);
    expect(next.spec).toMatchObject({
      clusterIP: '127.96.0.5',
      clusterIPs: ['127.96.0.5'],
      ports: [{ nodePort: 30001 }, { nodePort: 30002 }, { name: 'new' }],
    });
    expect(
      (next.spec as { ports: Array<{ nodePort?: number }> }).ports[2].nodePort,
    ).toBeUndefined();
    expect(needsAllocation(next, stored)).toBe(true);
  });

  it('drops node ports when the type no longer needs them, and the address for ExternalName', () => {
    const toClusterIP = structuredClone(stored);
    (toClusterIP.spec as { type: string }).type = 'ClusterIP';
    (toClusterIP.spec as { externalTrafficPolicy: string }).externalTrafficPolicy = 'Cluster';
    keepAllocatedValues(toClusterIP, {
      ...stored,
      spec: { ...stored.spec, externalTrafficPolicy: 'Cluster' },
    });
    expect(toClusterIP.spec).not.toHaveProperty('externalTrafficPolicy');
    expect((toClusterIP.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ]);
    expect(needsAllocation(toClusterIP, stored)).toBe(false);
    const toExternal = svc('np', { type: 'ExternalName', externalName: 'x.example' });
    keepAllocatedValues(toExternal, stored);
    expect(toExternal.spec).not.toHaveProperty('clusterIP');
  });

  it('needs an allocation only for values the stored version did not hold', () => {
    expect(needsAllocation(structuredClone(stored), stored)).toBe(false);
    expect(needsAllocation(svc('a', { ports: [{ port: 80 }] }))).toBe(true);
    expect(needsAllocation(svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }))).toBe(false);
    const toNodePort = svc('c', {
      type: 'NodePort',
      clusterIP: '127.96.0.9',
      ports: [{ port: 80 }],
    });
    const wasClusterIP = svc('c', { clusterIP: '127.96.0.9', ports: [{ port: 80 }] });
    keepAllocatedValues(toNodePort, wasClusterIP);
    expect(needsAllocation(toNodePort, wasClusterIP)).toBe(true);
  });
});
