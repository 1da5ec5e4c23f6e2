/**
 * The process runtime's state file, `<dataDir>/process-runtime.json` (0600, written
 * atomically): every pod's spec, identity and containers, with the pid and start time of
 * each running instance, so that the next runtime on the same data directory re-adopts the
 * processes still running and restarts per policy those that died meanwhile.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PodSpecForRuntime } from '../types';
import type { PodIdentity } from './identity';
import type { Instance, ProcContainer, ProcPod } from './model';

type StoredContainer = Omit<
  ProcContainer,
  'spec' | 'instance' | 'restartTimer' | 'prober' | 'log' | 'memoryLimit'
> & { name: string; instance?: Omit<Instance, 'child' | 'killing'> };

export interface StoredPod {
  spec: PodSpecForRuntime;
  startTime: string;
  identity?: PodIdentity;
  containers: StoredContainer[];
}

interface StoredState {
  version: 1;
  pods: StoredPod[];
}

const STATE_FILE = 'process-runtime.json';

export function stateFile(dataDir: string): string {
  return path.join(dataDir, STATE_FILE);
}

/** Writes the pods' state (throws when it cannot). */
export function writeState(file: string, pods: Iterable<ProcPod>): void {
  const state: StoredState = { version: 1, pods: [...pods].map(storedPod) };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, file);
}

/** What a previous runtime left (nothing when there is no readable state file). */
export function readState(file: string): StoredPod[] {
  let state: StoredState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StoredState;
  } catch {
    return [];
  }
  if (state?.version !== 1 || !Array.isArray(state.pods)) return [];
  return state.pods;
}

/** A container of a stored pod as it was (its instance, if any, is the caller's to adopt). */
export function restoredContainer(
  spec: PodSpecForRuntime['containers'][number],
  stored: StoredContainer | undefined,
): ProcContainer {
  return {
    spec,
    state: stored?.state ?? { waiting: { reason: 'ContainerCreating' } },
    lastState: stored?.lastState ?? {},
    ready: stored?.ready ?? false,
    started: stored?.started ?? false,
    restartCount: stored?.restartCount ?? 0,
    backoffMs: stored?.backoffMs ?? 0,
    hostPorts: stored?.hostPorts ?? {},
    lastInstanceNo: stored?.lastInstanceNo ?? -1,
    ...(stored?.prevInstanceNo !== undefined ? { prevInstanceNo: stored.prevInstanceNo } : {}),
    ...(stored?.containerID ? { containerID: stored.containerID } : {}),
    done: stored?.done ?? false,
  };
}

function storedPod(p: ProcPod): StoredPod {
  return {
    spec: p.spec,
    startTime: p.startTime,
    ...(p.identity ? { identity: p.identity } : {}),
    containers: p.containers.map((c) => ({
      name: c.spec.name,
      state: c.state,
      lastState: c.lastState,
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
      backoffMs: c.backoffMs,
      hostPorts: c.hostPorts,
      lastInstanceNo: c.lastInstanceNo,
      ...(c.prevInstanceNo !== undefined ? { prevInstanceNo: c.prevInstanceNo } : {}),
      ...(c.containerID ? { containerID: c.containerID } : {}),
      done: c.done,
      ...(c.instance
        ? {
            instance: {
              no: c.instance.no,
              pid: c.instance.pid,
              startTicks: c.instance.startTicks,
              startedAt: c.instance.startedAt,
              startedMs: c.instance.startedMs,
              ...(c.instance.cgroup ? { cgroup: c.instance.cgroup } : {}),
            },
          }
        : {}),
    })),
  };
}
