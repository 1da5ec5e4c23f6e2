import type { ContainerState, PodStatusReport } from './types';

/**
 * Kubernetes' pod phase from its containers (kubelet's getPhase, without init containers),
 * shared by every runtime.
 */
export function podPhase(
  containers: ReadonlyArray<{ state: ContainerState; lastState: ContainerState }>,
): PodStatusReport['phase'] {
  let running = 0;
  let waiting = 0;
  let succeeded = 0;
  let failed = 0;
  for (const c of containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      if (c.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (c.state.waiting) {
      // Waiting after a previous run (back-off) counts as running, as in kubelet.
      if (c.lastState.terminated) running++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (failed > 0) return 'Failed';
  if (succeeded > 0) return 'Succeeded';
  return 'Pending';
}
