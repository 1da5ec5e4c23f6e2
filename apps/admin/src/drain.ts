/**
 * Draining a node as `kubectl drain` does: every pod on it is evicted through the eviction
 * API (`POST …/pods/{name}/eviction`), so PodDisruptionBudgets are honoured; an eviction the
 * budget refuses (429) is retried until it is admitted or the deadline passes. DaemonSet
 * pods stay (their controller would put them back: `--ignore-daemonsets`), as do mirror pods
 * and pods that have finished.
 */
import type { KubeObject } from './api';

export interface DrainPlan {
  evict: KubeObject[];
  /** Pods left on the node, with why. */
  skipped: Array<{ pod: KubeObject; why: string }>;
}

export function podKey(p: KubeObject): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

export function planDrain(pods: KubeObject[]): DrainPlan {
  const plan: DrainPlan = { evict: [], skipped: [] };
  for (const pod of pods) {
    const owners = (pod.metadata.ownerReferences ?? []) as Array<{ kind?: string }>;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    if (pod.metadata.deletionTimestamp) continue;
    if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined)
      plan.skipped.push({ pod, why: 'mirror pod' });
    else if (owners.some((o) => o.kind === 'DaemonSet'))
      plan.skipped.push({ pod, why: 'managed by a DaemonSet' });
    else plan.evict.push(pod);
  }
  return plan;
}

/** What one eviction came to: admitted (or the pod was already gone), or refused for now. */
export type EvictionOutcome = { ok: true } | { ok: false; retry: true; message: string };

export interface DrainProgress {
  evicted: string[];
  /** Pods whose eviction a disruption budget refuses for now, with its message. */
  waiting: Array<{ pod: string; message: string }>;
  total: number;
}

export interface DrainOptions {
  retryMs: number;
  deadlineMs: number;
  onProgress(p: DrainProgress): void;
  /** Waits `ms` (a timer in the browser; injectable for tests). */
  wait?(ms: number): Promise<void>;
  now?(): number;
}

/**
 * Evicts every pod of `plan.evict`, retrying refused ones every `retryMs` until all are
 * admitted; throws when `deadlineMs` passes with pods still waiting (naming them), or on an
 * error that is not a budget's refusal.
 */
export async function drainPods(
  pods: KubeObject[],
  evict: (pod: KubeObject) => Promise<EvictionOutcome>,
  opts: DrainOptions,
): Promise<DrainProgress> {
  const now = opts.now ?? Date.now;
  const wait = opts.wait ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + opts.deadlineMs;
  const progress: DrainProgress = { evicted: [], waiting: [], total: pods.length };
  let pending = pods;
  for (;;) {
    const waiting: DrainProgress['waiting'] = [];
    const next: KubeObject[] = [];
    for (const pod of pending) {
      const outcome = await evict(pod);
      if (outcome.ok) progress.evicted.push(podKey(pod));
      else {
        waiting.push({ pod: podKey(pod), message: outcome.message });
        next.push(pod);
      }
    }
    progress.waiting = waiting;
    opts.onProgress({ ...progress, evicted: [...progress.evicted] });
    if (next.length === 0) return progress;
    if (now() >= deadline)
      throw new Error(
        `gave up after ${Math.round(opts.deadlineMs / 1000)}s; still waiting on ${waiting
          .map((w) => `${w.pod} (${w.message})`)
          .join(', ')}`,
      );
    pending = next;
    await wait(opts.retryMs);
  }
}
