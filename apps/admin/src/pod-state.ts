// The pod chip: @berth/core's STATUS (what `kubectl get pods` prints), with a colour and the
// reason behind it; a Pending pod the scheduler cannot place, and a Running one that is not
// ready, say so in the label.
import type { KubeObject as CoreObject } from '@berth/core/api/types';
import { podStatusCells } from '@berth/core/resources/pod';
import type { KubeObject, Obj } from './api';

export interface PodState {
  label: string;
  color: 'success' | 'warning' | 'error' | 'default' | 'info';
  reason?: string;
}

/** Waiting and starting states that are not failures. */
const STARTING = new Set(['Pending', 'ContainerCreating', 'PodInitializing', 'SchedulingGated']);

/** What `kubectl get pods` would print as STATUS, plus the reason behind it. */
export function podState(pod: KubeObject, now = new Date()): PodState {
  const st = pod.status ?? {};
  const { reason: status } = podStatusCells(pod as CoreObject, now);
  const containers = (st.containerStatuses ?? []) as Obj[];
  if (status === 'Terminating' || status === 'Unknown') return { label: status, color: 'default' };
  if (status === 'Completed' || (st.phase === 'Succeeded' && status === st.phase))
    return { label: 'Completed', color: 'info' };
  if (status === 'Running') {
    const ready = containers.length > 0 && containers.every((c) => c.ready);
    return ready
      ? { label: 'Running', color: 'success' }
      : { label: 'Running (not ready)', color: 'warning' };
  }
  if (status === 'Pending') {
    const sched = ((st.conditions ?? []) as Array<Record<string, string>>).find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    return {
      label: sched ? `Pending: ${sched.reason ?? 'Unschedulable'}` : 'Pending',
      color: 'warning',
      reason: sched?.message ?? (pod.spec?.nodeName ? 'starting on its node' : 'not scheduled yet'),
    };
  }
  if (STARTING.has(status) || /^Init:\d+\/\d+$/.test(status))
    return { label: status, color: 'warning' };
  // A failure: the container that explains it.
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason === status) {
      const last = c.lastState?.terminated?.reason;
      return {
        label: last === 'OOMKilled' ? `${status} (OOMKilled)` : status,
        color: 'error',
        reason: waiting.message ?? (last ? `last exit: ${last}` : undefined),
      };
    }
    const term = c.state?.terminated;
    if (term?.reason === status) return { label: status, color: 'error', reason: term.message };
  }
  return { label: status || 'Unknown', color: 'error', reason: st.message };
}

/** The RESTARTS cell as kubectl prints it: `4 (3m ago)`. */
export function restartsOf(pod: KubeObject, now = new Date()): string {
  return podStatusCells(pod as CoreObject, now).restarts;
}
