import type { KubeObject } from '../api/types';
import { EVICTION_MULTIPLE_BUDGETS, pdbStatus } from './disruption';
import {
  budgetAfterEviction,
  evictionRefusal,
  expectedScale,
  MAX_DISRUPTED_PODS,
  pdbNeedsScale,
} from './disruption-scale';

const now = new Date('2026-01-01T00:00:00Z');
const ref = (o: KubeObject) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name!,
  uid: o.metadata.uid!,
  controller: true,
});
const owned = (
  apiVersion: string,
  kind: string,
  name: string,
  replicas: number,
  owner?: KubeObject,
) =>
  ({
    apiVersion,
    kind,
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      ...(owner ? { ownerReferences: [ref(owner)] } : {}),
    },
    spec: { replicas },
  }) as unknown as KubeObject;
const pod = (name: string, owner?: KubeObject) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      labels: { app: 'web' },
      ...(owner ? { ownerReferences: [ref(owner)] } : {}),
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  }) as unknown as KubeObject;

describe('expectedScale', () => {
  const deploy = owned('apps/v1', 'Deployment', 'web', 5);
  const rs = owned('apps/v1', 'ReplicaSet', 'web-1', 2, deploy);
  const lone = owned('apps/v1', 'ReplicaSet', 'lone', 3);
  const sts = owned('apps/v1', 'StatefulSet', 'db', 4);

  it("counts a Deployment's replicas (not its ReplicaSet's) once for all its pods", () => {
    expect(expectedScale([pod('a', rs), pod('b', rs)], [deploy, rs])).toEqual({
      scale: 5,
      unmanagedPods: [],
    });
  });
  it('sums different controllers and leaves unmanaged pods out', () => {
    expect(expectedScale([pod('a', lone), pod('b', sts), pod('c')], [lone, sts])).toEqual({
      scale: 7,
      unmanagedPods: ['c'],
    });
  });
  it('is an error when a controller is not found', () => {
    expect(expectedScale([pod('a', lone)], [])).toEqual({
      error: 'found no controllers for pod "a"',
      unmanagedPods: [],
    });
    expect('error' in expectedScale([pod('a', rs)], [rs])).toBe(true);
  });
  it('feeds pdbStatus for a percentage', () => {
    const pdb = {
      metadata: { name: 'b', namespace: 'ns', generation: 1 },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
    } as unknown as KubeObject;
    expect(pdbNeedsScale(pdb)).toBe(true);
    const pods = [pod('a', rs), pod('b', rs)];
    const s = pdbStatus(
      pdb,
      pods,
      now,
      (expectedScale(pods, [deploy, rs]) as { scale: number }).scale,
    );
    // 50% of 5 rounded up is 3 desired; 2 healthy: nothing may go.
    expect([s.expectedPods, s.desiredHealthy, s.disruptionsAllowed]).toEqual([5, 3, 0]);
  });
});

describe('budgetAfterEviction', () => {
  const pdb = {
    metadata: { name: 'b', namespace: 'ns', generation: 1 },
    spec: { minAvailable: 2 },
    status: {
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
    },
  } as unknown as KubeObject;

  it('takes one disruption, records the pod and turns DisruptionAllowed False at zero', () => {
    const next = budgetAfterEviction(pdb, 'web-a', now);
    expect(next.status).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { 'web-a': '2026-01-01T00:00:00Z' },
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }],
    });
    expect((pdb.status as { disruptionsAllowed: number }).disruptionsAllowed).toBe(1);
  });
  it('refuses (403) when too many evictions are unconfirmed', () => {
    const disruptedPods: Record<string, string> = {};
    for (let i = 0; i <= MAX_DISRUPTED_PODS; i++) disruptedPods[`p${i}`] = '2026-01-01T00:00:00Z';
    const full = { ...pdb, status: { ...(pdb.status as object), disruptedPods } } as KubeObject;
    expect(() => budgetAfterEviction(full, 'x', now)).toThrow(/DisruptedPods map too big/);
  });
});

describe('evictionRefusal', () => {
  it('is a 429 TooManyRequests with the DisruptionBudget cause', () => {
    const err = evictionRefusal({
      allowed: false,
      code: 429,
      message: 'm',
      causes: [{ reason: 'DisruptionBudget', message: 'c' }],
    });
    expect(err.toStatus()).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'c' }] },
    });
  });
  it('is a disclosed 500 for a pod under two budgets', () => {
    const err = evictionRefusal({ allowed: false, code: 500, message: EVICTION_MULTIPLE_BUDGETS });
    expect([err.code, err.disclosed, err.message]).toEqual([
      500,
      true,
      `Internal error occurred: ${EVICTION_MULTIPLE_BUDGETS}`,
    ]);
  });
});
