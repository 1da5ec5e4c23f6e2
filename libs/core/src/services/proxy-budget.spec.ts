import type { KubeObject } from '../api/types';
import {
  budgetCandidate,
  planListenerBudget,
  proxyListenerCount,
  type BudgetCandidate,
} from './proxy-budget';

const at = (key: string, creationTimestamp: string, listeners: number): BudgetCandidate => ({
  key,
  creationTimestamp,
  listeners,
});

function service(spec: Record<string, unknown>, created = '2026-12-01T10:00:00Z'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', creationTimestamp: created },
    spec,
  };
}

describe('planListenerBudget', () => {
  it('serves everything that fits', () => {
    const plan = planListenerBudget([at('a/x', 't1', 3), at('a/y', 't2', 4)], 7);
    expect([...plan.served]).toEqual(['a/x', 'a/y']);
    expect(plan.refused).toEqual([]);
    expect(plan.used).toBe(7);
  });

  it('serves whole Services in creation order and leaves out the one that does not fit', () => {
    // Given out of order: the oldest (t1) is served first, the newest does not fit.
    const plan = planListenerBudget(
      [at('b/new', '2026-12-01T10:00:03Z', 5), at('a/old', '2026-12-01T10:00:01Z', 6)],
      10,
    );
    expect([...plan.served]).toEqual(['a/old']);
    expect(plan.refused).toEqual([{ key: 'b/new', listeners: 5, free: 4 }]);
    expect(plan.used).toBe(6);
  });

  it('still serves a later Service that fits in what is left (first fit)', () => {
    const plan = planListenerBudget(
      [at('ns/a', 't1', 6), at('ns/big', 't2', 8), at('ns/small', 't3', 4)],
      10,
    );
    expect([...plan.served].sort()).toEqual(['ns/a', 'ns/small']);
    expect(plan.refused).toEqual([{ key: 'ns/big', listeners: 8, free: 4 }]);
  });

  it('breaks ties of the same creation second by namespace/name, whatever the input order', () => {
    const same = '2026-12-01T10:00:00Z';
    const inputs = [at('ns/b', same, 5), at('ns/a', same, 5), at('ns/c', same, 5)];
    for (const order of [inputs, [...inputs].reverse()]) {
      const plan = planListenerBudget(order, 10);
      expect([...plan.served]).toEqual(['ns/a', 'ns/b']);
      expect(plan.refused.map((r) => r.key)).toEqual(['ns/c']);
    }
  });

  it('always serves Services that need no listener, and refuses one larger than the budget', () => {
    const plan = planListenerBudget([at('ns/headless', 't1', 0), at('ns/huge', 't0', 11)], 10);
    expect([...plan.served]).toEqual(['ns/headless']);
    expect(plan.refused).toEqual([{ key: 'ns/huge', listeners: 11, free: 10 }]);
  });
});

describe('proxyListenerCount', () => {
  const ports = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: 8000 + i, protocol: 'TCP' }));

  it('counts a listener per TCP port on the cluster IP, plus one per node port', () => {
    expect(proxyListenerCount(service({ clusterIP: '10.0.0.1', ports: ports(3) }), '1.2.3.4')).toBe(
      3,
    );
    const nodePorts = ports(2).map((p, i) => ({ ...p, nodePort: 30000 + i }));
    expect(
      proxyListenerCount(
        service({ type: 'NodePort', clusterIP: '10.0.0.1', ports: nodePorts }),
        '1.2.3.4',
      ),
    ).toBe(4);
  });

  it('counts nothing for UDP ports, headless and ExternalName Services', () => {
    expect(
      proxyListenerCount(
        service({ clusterIP: '10.0.0.1', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
        '1.2.3.4',
      ),
    ).toBe(0);
    expect(proxyListenerCount(service({ clusterIP: 'None', ports: ports(2) }), '1.2.3.4')).toBe(0);
    expect(
      proxyListenerCount(service({ type: 'ExternalName', externalName: 'x.example' }), '1.2.3.4'),
    ).toBe(0);
  });

  it('makes a candidate from a Service', () => {
    expect(budgetCandidate(service({ clusterIP: '10.0.0.1', ports: ports(2) }), '1.2.3.4')).toEqual(
      { key: 'ns/web', creationTimestamp: '2026-12-01T10:00:00Z', listeners: 2 },
    );
  });
});
