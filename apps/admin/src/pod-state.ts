// What `kubectl get pods` prints as STATUS, and why: pure, for the chips and for tests.
import type { KubeObject, Obj } from './api';

export interface PodState {
  label: string;
  color: 'success' | 'warning' | 'error' | 'default' | 'info';
  reason?: string;
}

/** What `kubectl get pods` would print as STATUS, plus the reason behind it. */
export function podState(pod: KubeObject): PodState {
  const st = pod.status ?? {};
  if (pod.metadata.deletionTimestamp) return { label: 'Terminating', color: 'default' };
  const containers = (st.containerStatuses ?? []) as Obj[];
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating') {
      const last = c.lastState?.terminated?.reason;
      return {
        label: last === 'OOMKilled' ? `${waiting.reason} (OOMKilled)` : waiting.reason,
        color: 'error',
        reason: waiting.message ?? (last ? `last exit: ${last}` : undefined),
      };
    }
    const term = c.state?.terminated;
    if (term?.reason && st.phase !== 'Succeeded')
      return { label: term.reason, color: 'error', reason: term.message };
  }
  if (st.phase === 'Pending') {
    const sched = ((st.conditions ?? []) as Array<Record<string, string>>).find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    return {
      label: sched ? `Pending: ${sched.reason ?? 'Unschedulable'}` : 'Pending',
      color: 'warning',
      reason: sched?.message ?? (pod.spec?.nodeName ? 'starting on its node' : 'not scheduled yet'),
    };
  }
  if (st.phase === 'Running') {
    const ready = containers.length > 0 && containers.every((c) => c.ready);
    return ready
      ? { label: 'Running', color: 'success' }
      : { label: 'Running (not ready)', color: 'warning' };
  }
  if (st.phase === 'Succeeded') return { label: 'Completed', color: 'info' };
  if (st.phase === 'Failed')
    return { label: st.reason ?? 'Failed', color: 'error', reason: st.message };
  return { label: st.phase ?? 'Unknown', color: 'default' };
}

export function restartsOf(pod: KubeObject): number {
  return ((pod.status?.containerStatuses ?? []) as Array<{ restartCount?: number }>).reduce(
    (n, c) => n + (c.restartCount ?? 0),
    0,
  );
}
