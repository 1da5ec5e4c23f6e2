import { decideHpa } from './hpa';
import type { HpaInput, HpaPodSample } from './hpa';

const now = Date.parse('2026-01-01T00:00:00Z');
const cpu50 = { type: 'Resource' as const, name: 'cpu' as const, target: { type: 'Utilization' as const, averageUtilization: 50 } };
const pod = (name: string, usage: number | undefined, request = 100, ready = true): HpaPodSample => ({
  name,
  ready,
  usage: usage === undefined ? undefined : { cpu: usage },
  requests: { cpu: request },
});
const base = (over: Partial<HpaInput>): HpaInput => ({
  currentReplicas: 1,
  maxReplicas: 10,
  metrics: [cpu50],
  pods: [pod('p0', 75)],
  now,
  ...over,
});
const condOf = (d: ReturnType<typeof decideHpa>, type: string) => d.conditions.find((c) => c.type === type)!;

describe('decideHpa', () => {
  it('scales 1 → 3 at 150% of a 50% target', () => {
    // usage 150m / request 100m = 150% utilization; ratio = 150/50 = 3.0; ceil(3.0 * 1 pod) = 3;
    // scale-up limit max(1+4, ceil(1*2)) = 5 >= 3, max 10 → 3.
    const d = decideHpa(base({ pods: [pod('p0', 150)] }));
    expect(d.desiredReplicas).toBe(3);
    expect(d.rescale).toBe(true);
    expect(d.scaleUpEvents).toEqual([{ replicaChange: 2, timestamp: now }]);
    expect(d.recommendations).toEqual([{ replicas: 3, timestamp: now }]);
    expect(condOf(d, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound',
      message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
    expect(condOf(d, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
    expect(condOf(d, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'ReadyForNewScale' });
  });

  it('keeps the count within the 0.1 tolerance', () => {
    // 2 pods, (54+54)/(100+100) = 54%; ratio 54/50 = 1.08; |1.08-1| = 0.08 <= 0.1 → 2
    const d = decideHpa(base({ currentReplicas: 2, pods: [pod('a', 54), pod('b', 54)] }));
    expect(d.desiredReplicas).toBe(2);
    expect(d.rescale).toBe(false);
    // 56%: ratio 1.12 > 1.1 → ceil(1.12 * 2) = ceil(2.24) = 3
    expect(decideHpa(base({ currentReplicas: 2, pods: [pod('a', 56), pod('b', 56)] })).desiredReplicas).toBe(3);
  });

  it('clamps to maxReplicas with ScalingLimited TooManyReplicas', () => {
    // 2 pods at 200%: ratio 4.0, ceil(4 * 2) = 8; scale-up limit max(2+4, ceil(2*2)) = 6; max 5 < 6 → 5
    const d = decideHpa(base({ currentReplicas: 2, maxReplicas: 5, pods: [pod('a', 200), pod('b', 200)] }));
    expect(d.desiredReplicas).toBe(5);
    expect(condOf(d, 'ScalingLimited')).toEqual({ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas',
      message: 'the desired replica count is more than the maximum replica count' });
  });

  it('keeps the highest recommendation of the last 300 s when scaling down', () => {
    // 4 pods at 25%: ratio 0.5, ceil(0.5 * 4) = 2. History: 5 at now-400s (outside 300 s), 4 at now-100s.
    // downRecommendation = max(2, 4) = 4; stabilized = min(current 4, 4) = 4 → no change.
    const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n, 25));
    const recommendations = [
      { replicas: 5, timestamp: now - 400_000 },
      { replicas: 4, timestamp: now - 100_000 },
    ];
    const d = decideHpa(base({ currentReplicas: 4, pods, recommendations }));
    expect(d.desiredReplicas).toBe(4);
    expect(condOf(d, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'ScaleDownStabilized' });
    // the 400 s one is pruned (longest window 300 s); the new raw recommendation 2 is recorded
    expect(d.recommendations).toEqual([{ replicas: 4, timestamp: now - 100_000 }, { replicas: 2, timestamp: now }]);
    // 3 at now-100s: max(2,3) = 3 < current 4 → 3
    const d3 = decideHpa(base({ currentReplicas: 4, pods, recommendations: [{ replicas: 3, timestamp: now - 100_000 }] }));
    expect(d3.desiredReplicas).toBe(3);
    expect(d3.scaleDownEvents).toEqual([{ replicaChange: 1, timestamp: now }]);
    // nothing within 300 s → 2
    expect(decideHpa(base({ currentReplicas: 4, pods, recommendations: [{ replicas: 4, timestamp: now - 301_000 }] })).desiredReplicas).toBe(2);
  });

  it('limits scale-up to max(4 pods, 100%) per 15 s', () => {
    // 10 pods at 500%: ratio 10, ceil(10*10) = 100; limit max(10+4, ceil(10*2)) = 20 → 20, ScaleUpLimit
    const ten = Array.from({ length: 10 }, (_, i) => pod(`p${i}`, 250, 50));
    const d = decideHpa(base({ currentReplicas: 10, maxReplicas: 1000, pods: ten }));
    expect(d.desiredReplicas).toBe(20);
    expect(condOf(d, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    // 2 pods at 500%: ceil(10*2) = 20; limit max(2+4, ceil(2*2)) = 6 → 6 (the Pods policy wins)
    const two = [pod('a', 500), pod('b', 500)];
    expect(decideHpa(base({ currentReplicas: 2, maxReplicas: 100, pods: two })).desiredReplicas).toBe(6);
    // 6 pods, +4 already added 10 s ago: period start 6-4 = 2; limit max(2+4, ceil(2*2)) = 6 = current → 6
    const six = Array.from({ length: 6 }, (_, i) => pod(`p${i}`, 500));
    const held = decideHpa(base({ currentReplicas: 6, maxReplicas: 100, pods: six,
      scaleUpEvents: [{ replicaChange: 4, timestamp: now - 10_000 }] }));
    expect(held.desiredReplicas).toBe(6);
    // the event is 16 s old: outside the 15 s period → limit max(6+4, 12) = 12
    expect(decideHpa(base({ currentReplicas: 6, maxReplicas: 100, pods: six,
      scaleUpEvents: [{ replicaChange: 4, timestamp: now - 16_000 }] })).desiredReplicas).toBe(12);
  });

  it('treats missing metrics conservatively', () => {
    // scale up: a (100m/100m = 100%), b missing. Raw ratio 100/50 = 2.
    // b assumed 0: (100+0)/(100+100) = 50% → ratio 1.0, within tolerance → keep 2
    const up = decideHpa(base({ currentReplicas: 2, pods: [pod('a', 100), pod('b', undefined)] }));
    expect(up.desiredReplicas).toBe(2);
    // a at 200%: ratio 4; b at 0 → (200+0)/200 = 100% → ratio 2.0, ceil(2*2) = 4
    expect(decideHpa(base({ currentReplicas: 2, pods: [pod('a', 200), pod('b', undefined)] })).desiredReplicas).toBe(4);
    // scale down: a,b at 10% (ratio 0.2), c missing assumed 100% of request:
    // (10+10+100)/300 = 40% → ratio 0.8, ceil(0.8*3) = ceil(2.4) = 3 = current → no scale down
    const down = decideHpa(base({ currentReplicas: 3, pods: [pod('a', 10), pod('b', 10), pod('c', undefined)] }));
    expect(down.desiredReplicas).toBe(3);
    // without c missing it would be ceil(0.2*2) = 1 (shown for contrast on 2 pods; current 2 → 1, 100%/15 s allows 0)
    expect(decideHpa(base({ currentReplicas: 2, pods: [pod('a', 10), pod('b', 10)] })).desiredReplicas).toBe(1);
    // unready cpu pod counts as 0 when scaling up: a 200% ready, b unready → (200+0)/200 = 100%, ratio 2 → 4
    expect(decideHpa(base({ currentReplicas: 2, pods: [pod('a', 200), pod('b', 300, 100, false)] })).desiredReplicas).toBe(4);
  });

  it('reports FailedGetResourceMetric without a request or without any metric', () => {
    const d = decideHpa(base({ pods: [{ name: 'p0', ready: true, usage: { cpu: 50 }, requests: {} }] }));
    expect(d.desiredReplicas).toBe(1);
    expect(d.rescale).toBe(false);
    expect(condOf(d, 'ScalingActive')).toEqual({ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in pod p0' });
    const none = decideHpa(base({ pods: [pod('p0', undefined)] }));
    expect(condOf(none, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
  });

  it('applies minReplicas (TooFewReplicas) and AverageValue targets', () => {
    // 3 pods at 10%: ratio 0.2, ceil(0.6) = 1; min 2 → 2
    const d = decideHpa(base({ currentReplicas: 3, minReplicas: 2, pods: [pod('a', 10), pod('b', 10), pod('c', 10)] }));
    expect(d.desiredReplicas).toBe(2);
    expect(condOf(d, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooFewReplicas' });
    // AverageValue memory 100: 2 pods at 300 → avg 300, ratio 3, ceil(3*2) = 6
    const mem = { type: 'Resource' as const, name: 'memory' as const, target: { type: 'AverageValue' as const, averageValue: 100 } };
    const pods = ['a', 'b'].map((n) => ({ name: n, ready: true, usage: { memory: 300 } }));
    const m = decideHpa(base({ currentReplicas: 2, metrics: [mem], pods }));
    expect(m.desiredReplicas).toBe(6);
    expect(condOf(m, 'ScalingActive').message).toBe('the HPA was able to successfully calculate a replica count from memory resource');
  });
});

describe('decideHpa outside [min, max] and at zero', () => {
  it('moves straight to max/min without metrics, and does nothing at zero replicas', () => {
    // current 12 > max 10 → 10 regardless of the (absent) metrics
    const over = decideHpa(base({ currentReplicas: 12, pods: [] }));
    expect(over.desiredReplicas).toBe(10);
    expect(over.scaleDownEvents).toEqual([{ replicaChange: 2, timestamp: now }]);
    expect(over.conditions.find((c) => c.type === 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    const zero = decideHpa(base({ currentReplicas: 0 }));
    expect(zero.desiredReplicas).toBe(0);
    expect(zero.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'False', reason: 'ScalingDisabled' });
  });

  it('leaves unready cpu pods out when not scaling up', () => {
    // a, b ready at 10% (ratio 0.2), c unready at 90%: ignored → ceil(0.2 * 2 ready) = 1
    const d = decideHpa(base({ currentReplicas: 3, pods: [pod('a', 10), pod('b', 10), pod('c', 90, 100, false)] }));
    expect(d.desiredReplicas).toBe(1);
  });
});
