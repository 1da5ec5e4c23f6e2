/**
 * The HorizontalPodAutoscaler replica decision, as kube-controller-manager computes it
 * (pkg/controller/podautoscaler replica_calculator.go and horizontal.go): per-metric replica
 * proposals with the 0.1 tolerance and conservative treatment of missing / unready pods,
 * then stabilization windows and scale-rate policies (`behavior`), then min/max clamping.
 * Pure: the caller supplies the pod samples, the histories and the clock.
 */

export const HPA_TOLERANCE = 0.1;

export type HpaResourceName = 'cpu' | 'memory';
export type HpaMetricTarget =
  | { type: 'Resource'; name: HpaResourceName; target: { type: 'Utilization'; averageUtilization: number } }
  | { type: 'Resource'; name: HpaResourceName; target: { type: 'AverageValue'; averageValue: number } };

/** One pod of the scale target. `usage`/`requests` by resource; absent usage = missing metric. */
export interface HpaPodSample {
  name: string;
  ready: boolean;
  /** True when the metrics pipeline returned nothing for this pod (same as usage absent). */
  missing?: boolean;
  usage?: Partial<Record<HpaResourceName, number>>;
  requests?: Partial<Record<HpaResourceName, number>>;
}

export interface HpaScalingPolicy { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }
export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HpaScalingPolicy[];
}
export interface HpaBehavior { scaleUp?: HpaScalingRules; scaleDown?: HpaScalingRules }

export interface HpaRecommendation { replicas: number; timestamp: number }
export interface HpaScaleEvent { replicaChange: number; timestamp: number }

export interface HpaInput {
  currentReplicas: number;
  minReplicas?: number;
  maxReplicas: number;
  metrics: HpaMetricTarget[];
  pods: HpaPodSample[];
  behavior?: HpaBehavior;
  recommendations?: HpaRecommendation[];
  scaleUpEvents?: HpaScaleEvent[];
  scaleDownEvents?: HpaScaleEvent[];
  /** Injected clock, ms since epoch. */
  now: number;
}

export interface HpaCondition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface HpaDecision {
  desiredReplicas: number;
  rescale: boolean;
  recommendations: HpaRecommendation[];
  scaleUpEvents: HpaScaleEvent[];
  scaleDownEvents: HpaScaleEvent[];
  conditions: HpaCondition[];
}

/** Kubernetes' defaults (pkg/apis/autoscaling/v2/defaults.go). */
export const HPA_DEFAULT_SCALE_UP: Required<HpaScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
export const HPA_DEFAULT_SCALE_DOWN: Required<HpaScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function rules(r: HpaScalingRules | undefined, d: Required<HpaScalingRules>): Required<HpaScalingRules> {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    selectPolicy: r?.selectPolicy ?? d.selectPolicy,
    policies: r?.policies ?? d.policies,
  };
}

type Proposal = { replicas: number; name: string } | { error: string };

function metricName(m: HpaMetricTarget): string {
  return m.target.type === 'Utilization'
    ? `${m.name} resource utilization (percentage of request)`
    : `${m.name} resource`;
}

/** GetResourceReplicas / GetRawResourceReplicas with groupPods' missing/unready handling. */
function proposeForMetric(m: HpaMetricTarget, pods: HpaPodSample[], current: number): Proposal {
  if (pods.length === 0) return { error: 'no pods returned by selector while calculating replica count' };
  const util = m.target.type === 'Utilization';
  const target = m.target.type === 'Utilization' ? m.target.averageUtilization : m.target.averageValue;
  // groupPods: missing metric → missingPods; unready pods are ignored for cpu only.
  const withMetric: HpaPodSample[] = [];
  const missing: HpaPodSample[] = [];
  const unready: HpaPodSample[] = [];
  for (const p of pods) {
    const u = p.usage?.[m.name];
    if (p.missing || u === undefined) missing.push(p);
    else if (m.name === 'cpu' && !p.ready) unready.push(p);
    else withMetric.push(p);
  }
  if (withMetric.length === 0) return { error: `failed to get ${m.name} utilization: no metrics returned` };
  const req = (p: HpaPodSample): number | undefined => p.requests?.[m.name];
  if (util) {
    for (const p of [...withMetric, ...missing, ...unready]) {
      if (!req(p)) return { error: `failed to get ${m.name} utilization: missing request for ${m.name} in pod ${p.name}` };
    }
  }
  // usage ratio over a set of (value, request) pairs
  const ratioOf = (vals: Array<{ v: number; r: number }>): number => {
    const sumV = vals.reduce((a, x) => a + x.v, 0);
    if (util) {
      const sumR = vals.reduce((a, x) => a + x.r, 0);
      return (sumV * 100) / sumR / target;
    }
    return sumV / vals.length / target;
  };
  const base = withMetric.map((p) => ({ v: p.usage![m.name]!, r: req(p) ?? 0 }));
  const usageRatio = ratioOf(base);
  const readyPodCount = withMetric.length;
  // unready pods only count (as 0) when scaling up; otherwise they are left out
  const rebalanceIgnored = usageRatio > 1 && unready.length > 0;
  if (!rebalanceIgnored && missing.length === 0) {
    if (Math.abs(1 - usageRatio) <= HPA_TOLERANCE) return { replicas: current, name: metricName(m) };
    return { replicas: Math.ceil(usageRatio * readyPodCount), name: metricName(m) };
  }
  const filled = [...base];
  if (missing.length > 0) {
    for (const p of missing) {
      // scale down: assume missing pods at 100% of request (or at target value); scale up: 0
      const v = usageRatio < 1 ? (util ? req(p)! : target) : 0;
      filled.push({ v, r: req(p) ?? 0 });
    }
  }
  if (rebalanceIgnored) for (const p of unready) filled.push({ v: 0, r: req(p) ?? 0 });
  const newRatio = ratioOf(filled);
  if (
    Math.abs(1 - newRatio) <= HPA_TOLERANCE ||
    (usageRatio < 1 && newRatio > 1) ||
    (usageRatio > 1 && newRatio < 1)
  ) {
    return { replicas: current, name: metricName(m) };
  }
  const newReplicas = Math.ceil(newRatio * filled.length);
  if ((newRatio < 1 && newReplicas > current) || (newRatio > 1 && newReplicas < current)) {
    return { replicas: current, name: metricName(m) };
  }
  return { replicas: newReplicas, name: metricName(m) };
}

function changeInPeriod(periodSeconds: number, events: HpaScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.timestamp > cutoff).reduce((a, e) => a + e.replicaChange, 0);
}

function scaleUpLimit(current: number, up: HpaScaleEvent[], down: HpaScaleEvent[], r: Required<HpaScalingRules>, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  const pick = r.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = r.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of r.policies) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

function scaleDownLimit(current: number, up: HpaScaleEvent[], down: HpaScaleEvent[], r: Required<HpaScalingRules>, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  const pick = r.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = r.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of r.policies) {
    const start = current + changeInPeriod(p.periodSeconds, down, now) - changeInPeriod(p.periodSeconds, up, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

function cond(type: HpaCondition['type'], status: boolean, reason: string, message: string): HpaCondition {
  return { type, status: status ? 'True' : 'False', reason, message };
}

/** One reconcile of a HorizontalPodAutoscaler: the replica count to set and the new status. */
export function decideHpa(input: HpaInput): HpaDecision {
  const { currentReplicas: current, maxReplicas: max, now } = input;
  const min = input.minReplicas ?? 1;
  const up = rules(input.behavior?.scaleUp, HPA_DEFAULT_SCALE_UP);
  const down = rules(input.behavior?.scaleDown, HPA_DEFAULT_SCALE_DOWN);
  const upEvents = [...(input.scaleUpEvents ?? [])];
  const downEvents = [...(input.scaleDownEvents ?? [])];
  const recs = [...(input.recommendations ?? [])];
  const able = cond('AbleToScale', true, 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const unchanged = (conditions: HpaCondition[], desired = current): HpaDecision => ({
    desiredReplicas: desired,
    rescale: desired !== current,
    recommendations: recs,
    scaleUpEvents: upEvents,
    scaleDownEvents: downEvents,
    conditions,
  });

  if (current === 0 && min !== 0) {
    return unchanged([able, cond('ScalingActive', false, 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero')]);
  }
  if (current > max || current < min) {
    const desired = current > max ? max : min;
    const msg = current > max ? 'Current number of replicas above Spec.MaxReplicas' : 'Current number of replicas below Spec.MinReplicas';
    // Kubernetes rescales here without reading metrics (ScalingActive is left as it was).
    return finish(input, desired, [able,
      cond('ScalingLimited', true, current > max ? 'TooManyReplicas' : 'TooFewReplicas', msg)], recs, upEvents, downEvents, up, down);
  }

  // computeReplicasForMetrics: the largest valid proposal; refuse on all-invalid or invalid + scale down.
  let proposed = 0;
  let name = '';
  const invalid: string[] = [];
  for (const m of input.metrics) {
    const p = proposeForMetric(m, input.pods, current);
    if ('error' in p) invalid.push(p.error);
    else if (p.replicas > proposed || name === '') { proposed = Math.max(proposed, p.replicas); name = p.name; }
  }
  if (input.metrics.length === 0 || invalid.length >= input.metrics.length || (invalid.length > 0 && proposed < current)) {
    const msg = `the HPA was unable to compute the replica count: ${invalid[0] ?? 'no metrics configured'}`;
    return unchanged([able, cond('ScalingActive', false, 'FailedGetResourceMetric', msg)]);
  }
  const active = cond('ScalingActive', true, 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${name}`);

  // stabilizeRecommendationWithBehaviors
  const upCut = now - up.stabilizationWindowSeconds * 1000;
  const downCut = now - down.stabilizationWindowSeconds * 1000;
  let upRec = proposed;
  let downRec = proposed;
  for (const r of recs) {
    if (r.timestamp > upCut) upRec = Math.min(upRec, r.replicas);
    if (r.timestamp > downCut) downRec = Math.max(downRec, r.replicas);
  }
  let stabilized = current;
  if (stabilized < upRec) stabilized = upRec;
  if (stabilized > downRec) stabilized = downRec;
  const longest = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  const keptRecs = recs.filter((r) => r.timestamp > now - longest);
  keptRecs.push({ replicas: proposed, timestamp: now });
  const ableCond = stabilized !== proposed
    ? proposed >= current
      ? cond('AbleToScale', true, 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation')
      : cond('AbleToScale', true, 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation')
    : cond('AbleToScale', true, 'ReadyForNewScale', 'recommended size matches current size');

  // convertDesiredReplicasWithBehaviorRate
  let desired = stabilized;
  let reason = 'DesiredWithinRange';
  let message = 'the desired count is within the acceptable range';
  if (stabilized > current) {
    const limit = Math.max(current, scaleUpLimit(current, upEvents, downEvents, up, now));
    let allowed = max;
    let r = 'TooManyReplicas';
    let msg = 'the desired replica count is more than the maximum replica count';
    if (allowed > limit) { allowed = limit; r = 'ScaleUpLimit'; msg = 'the desired replica count is increasing faster than the maximum scale rate'; }
    if (stabilized > allowed) { desired = allowed; reason = r; message = msg; }
  } else if (stabilized < current) {
    const limit = Math.min(current, scaleDownLimit(current, upEvents, downEvents, down, now));
    let allowed = min;
    let r = 'TooFewReplicas';
    let msg = 'the desired replica count is less than the minimum replica count';
    if (allowed < limit) { allowed = limit; r = 'ScaleDownLimit'; msg = 'the desired replica count is decreasing faster than the maximum scale rate'; }
    if (stabilized < allowed) { desired = allowed; reason = r; message = msg; }
  }
  const limited = cond('ScalingLimited', desired !== stabilized, reason, message);
  return finish(input, desired, [ableCond, active, limited], keptRecs, upEvents, downEvents, up, down);
}

/** storeScaleEvent: record the change and drop events older than the longest policy period. */
function finish(
  input: HpaInput, desired: number, conditions: HpaCondition[], recs: HpaRecommendation[],
  upEvents: HpaScaleEvent[], downEvents: HpaScaleEvent[], up: Required<HpaScalingRules>, down: Required<HpaScalingRules>,
): HpaDecision {
  const { now, currentReplicas: current } = input;
  const period = (r: Required<HpaScalingRules>): number => Math.max(0, ...r.policies.map((p) => p.periodSeconds)) * 1000;
  let ups = upEvents.filter((e) => e.timestamp > now - period(up));
  let downs = downEvents.filter((e) => e.timestamp > now - period(down));
  if (desired > current) ups = [...ups, { replicaChange: desired - current, timestamp: now }];
  if (desired < current) downs = [...downs, { replicaChange: current - desired, timestamp: now }];
  return { desiredReplicas: desired, rescale: desired !== current, recommendations: recs, scaleUpEvents: ups, scaleDownEvents: downs, conditions };
}
