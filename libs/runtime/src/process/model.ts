/** What the process runtime keeps of its pods, containers and their instances. */
import os from 'node:os';
import type { BackoffOptions, ContainerExit } from '../lifecycle/restart-manager';
import type { Prober } from '../lifecycle/prober';
import type { ContainerSpec, ContainerState, PodSpecForRuntime, RuntimeLogger } from '../types';
import type { PodIdentity } from './identity';
import type { InstanceLog } from './log-files';

export type ProcessRuntimeLogger = RuntimeLogger;

export interface ProcessRuntimeOptions extends BackoffOptions {
  /** Where pods' working directories, logs and the state file live. */
  dataDir: string;
  /** The node's address: the pods' `podIP`, `POD_IP` and `HOST_IP`. */
  nodeIP: string;
  log: ProcessRuntimeLogger;
  /** Node ports for containers' ports. Default [40000, 44999]. */
  portRange?: [number, number];
  /** How often resident memory is compared with limits (without cgroups). Default 1 s. */
  memoryCheckIntervalMs?: number;
  /** A log file is rotated past this size. Default 10 MiB. */
  logMaxBytes?: number;
  /** Rotated log files kept per container instance. Default 2. */
  logFiles?: number;
  /** PATH of the containers (and for finding executables). Default: the agent's PATH. */
  path?: string;
  /** Use cgroup v2 for memory limits when possible. Default true. */
  cgroups?: boolean;
  /**
   * Where pods' working and log directories are (`<podsDir>/<pod uid>/`). Default
   * `<dataDir>/pods`. With `podUsers` every directory above it must be searchable by
   * others (pods reach their own directory by its path), so it cannot be under a 0700
   * data directory.
   */
  podsDir?: string;
  /**
   * Run each pod as an unprivileged user of its own (identity.ts): needs root and setpriv.
   * `uidRange` default 200000–265535; `claimsDir` (host-wide uid claims) default
   * /run/berth/pod-uids.
   */
  podUsers?: { uidRange?: [number, number]; claimsDir?: string };
}

export type KillReason = 'OOMKilled' | 'liveness' | 'startup' | 'stop';

export interface Instance {
  /** Instance number: the container's restartCount when it started (names its log). */
  no: number;
  pid: number;
  startTicks: number;
  startedAt: string;
  startedMs: number;
  /** False for a process re-adopted from a previous runtime (not our child). */
  child: boolean;
  /** Why the runtime is killing it, when it is. */
  killing?: KillReason;
  cgroup?: string;
}

export interface ProcContainer {
  spec: ContainerSpec;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  backoffMs: number;
  hostPorts: Record<number, number>;
  instance?: Instance;
  /** The most recently started instance (-1: none yet) and lastState's instance. */
  lastInstanceNo: number;
  prevInstanceNo?: number;
  containerID?: string;
  /** Terminated for good (no restart under the pod's policy). */
  done: boolean;
  memoryLimit?: number;
  restartTimer?: NodeJS.Timeout;
  prober?: Prober;
  /** The log of instance `lastInstanceNo`. */
  log?: InstanceLog;
}

export interface ProcPod {
  spec: PodSpecForRuntime;
  startTime: string;
  dir: string;
  /** With `podUsers`: the pod's uid/gid. */
  identity?: PodIdentity;
  containers: ProcContainer[];
  stopping?: Promise<void>;
}

export function newContainer(spec: ContainerSpec): ProcContainer {
  return {
    spec: structuredClone(spec),
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
    ready: false,
    started: false,
    restartCount: 0,
    backoffMs: 0,
    hostPorts: {},
    lastInstanceNo: -1,
    done: false,
  };
}

export function now(): string {
  return new Date().toISOString();
}

export function where(p: ProcPod, c?: ProcContainer): Record<string, string> {
  return {
    pod: `${p.spec.namespace}/${p.spec.name}`,
    ...(c ? { container: c.spec.name } : {}),
  };
}

/** How an instance ended, as kubelet reports it. */
export function exitOf(
  inst: Instance,
  how: { code: number | null; signal: NodeJS.Signals | null } | 'unknown',
): NonNullable<ContainerExit['terminated']> {
  let exitCode: number;
  let signal: number | undefined;
  let reason: string;
  let message: string | undefined;
  if (how === 'unknown') {
    exitCode = 137;
    reason = 'ContainerStatusUnknown';
    message = 'the process ended while not watched by this runtime: its exit code is unknown';
    if (inst.killing === 'liveness' || inst.killing === 'startup') {
      reason = 'Error';
      message = `killed after its ${inst.killing} probe failed (exit code unknown)`;
    }
  } else {
    signal = how.signal ? os.constants.signals[how.signal] : undefined;
    exitCode = how.code ?? 128 + (signal ?? 9);
    reason = exitCode === 0 ? 'Completed' : 'Error';
  }
  if (inst.killing === 'OOMKilled') {
    reason = 'OOMKilled';
    exitCode = 137;
  }
  return {
    exitCode,
    reason,
    ...(message ? { message } : {}),
    ...(signal !== undefined ? { signal } : {}),
    startedAt: inst.startedAt,
    finishedAt: now(),
  };
}
