import type { KubeObject } from '../api/types';
import {
  canEvict,
  EVICTION_MULTIPLE_BUDGETS,
  EVICTION_VIOLATES_BUDGET,
  pdbStatus,
} from './disruption';

const now = new Date('2026-01-01T00:00:00Z');
const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>, name = 'b') =>
  ({
    metadata: { name, namespace: 'ns', generation: 1 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  }) as unknown as KubeObject;
const pod = (name: string, ready: boolean) =>
  ({
    metadata: { name, namespace: 'ns', labels: { app: 'web' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as unknown as KubeObject;
const pods = [pod('a', true), pod('b', true), pod('c', true), pod('d', false)];

describe('pdbStatus', () => {
  it('int minAvailable', () => {
    const s = pdbStatus(pdb({ minAvailable: 2 }), pods, now);
    expect([s.expectedPods, s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed]).toEqual([
      4, 3, 2, 1,
    ]);
    expect(s.conditions[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'True' });
  });
  it('percent minAvailable rounds up', () => {
    const s = pdbStatus(pdb({ minAvailable: '50%' }), pods.slice(0, 3), now);
    expect([s.desiredHealthy, s.disruptionsAllowed]).toEqual([2, 1]);
  });
  it('maxUnavailable', () => {
    const s = pdbStatus(pdb({ maxUnavailable: 1 }), pods, now);
    expect([s.desiredHealthy, s.disruptionsAllowed]).toEqual([3, 0]);
  });
  it('zero pods allow nothing', () => {
    const s = pdbStatus(pdb({ maxUnavailable: 1 }), [], now);
    expect([s.expectedPods, s.disruptionsAllowed]).toEqual([0, 0]);
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
  });
});

describe('canEvict', () => {
  it('429 without budget, allowed with, 500 for two', () => {
    const st = {
      observedGeneration: 1,
      disruptionsAllowed: 0,
      currentHealthy: 2,
      desiredHealthy: 2,
    };
    expect(canEvict([pdb({}, st)], pod('a', true))).toMatchObject({
      allowed: false,
      code: 429,
      message: EVICTION_VIOLATES_BUDGET,
    });
    expect(canEvict([pdb({}, { ...st, disruptionsAllowed: 1 })], pod('a', true)).allowed).toBe(
      true,
    );
    expect(canEvict([pdb({}, st), pdb({}, st, 'c')], pod('a', true))).toMatchObject({
      code: 500,
      message: EVICTION_MULTIPLE_BUDGETS,
    });
    expect(
      canEvict([pdb({ unhealthyPodEvictionPolicy: 'AlwaysAllow' }, st)], pod('d', false)).allowed,
    ).toBe(true);
  });
});
