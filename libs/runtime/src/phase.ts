import type { ContainerState, ContainerStatusReport, PodStatusReport } from './types';

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

/** What a runtime keeps of a container, as far as its reported status goes. */
export interface ContainerStatusSource {
  spec: { name: string; image: string };
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  hostPorts: Record<number, number>;
}

/**
 * A pod's status report from its containers (copies: the runtime keeps changing its own),
 * shared by every runtime; `containerID` names each container in the runtime's scheme.
 */
export function podStatusReport(
  pod: { uid: string; namespace: string; name: string; startTime?: string; podIP: string },
  containers: readonly ContainerStatusSource[],
  containerID: (i: number) => string | undefined,
): PodStatusReport {
  const containerStatuses: ContainerStatusReport[] = containers.map((c, i) => {
    const id = containerID(i);
    return {
      name: c.spec.name,
      image: c.spec.image,
      ...(id ? { containerID: id } : {}),
      state: structuredClone(c.state),
      lastState: structuredClone(c.lastState),
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
      ...(Object.keys(c.hostPorts).length ? { hostPorts: { ...c.hostPorts } } : {}),
    };
  });
  return {
    uid: pod.uid,
    namespace: pod.namespace,
    name: pod.name,
    phase: podPhase(containers),
    startTime: pod.startTime,
    podIP: pod.podIP,
    containerStatuses,
  };
}
