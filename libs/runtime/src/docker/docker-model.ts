/** What the docker runtime keeps of its pods and containers, and its options. */
import type Docker from 'dockerode';
import type { ContainerInfo } from 'dockerode';
import type { Readable } from 'node:stream';
import type { Prober } from '../lifecycle/prober';
import type { BackoffOptions } from '../lifecycle/restart-manager';
import type { ContainerSpec, ContainerState, PodSpecForRuntime, RuntimeLogger } from '../types';
import { LABELS, containerName } from './container-config';

/** The logger the runtime writes to (the agent's logger fits). */
export type DockerRuntimeLogger = RuntimeLogger;

/**
 * Back-off (restart-manager.ts): CrashLoopBackOff, and the image pull back-off and engine
 * retries, which wait `initialBackoffMs` from the first failure.
 */
export interface DockerRuntimeOptions extends BackoffOptions {
  /**
   * The engine's unix socket. Default: dockerode's — `DOCKER_HOST` when set (unix://,
   * tcp://, ssh://), else /var/run/docker.sock.
   */
  socketPath?: string;
  /** The node's address: the pods' IP, where published ports and probes are reached. */
  nodeIP: string;
  log: DockerRuntimeLogger;
  /** Every container is inspected this often besides the events. Default 10 s. */
  resyncIntervalMs?: number;
  /** Wait before re-opening a broken event stream. Default 1 s. */
  eventsRetryMs?: number;
  /** Where pods' volumes are made (`<dir>/<uid>/volumes/<name>`), bind-mounted. */
  volumesDir?: string;
  /** A dockerode client to use instead of one built from `socketPath` (tests, TLS set-ups). */
  docker?: Docker;
}

export interface PodContainer {
  spec: ContainerSpec;
  name: string;
  /** The current Docker container (running, exited, or about to be replaced). */
  id?: string;
  /** The last exited instance, kept for `logs --previous`. */
  previousId?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  hostPorts: Record<number, number>;
  ipAddress?: string;
  /** The instance `state.running` describes. */
  runningId?: string;
  runningSinceMs?: number;
  /** The instance whose exit was already acted on. */
  exitHandledFor?: string;
  /** CrashLoopBackOff (restart-manager.ts); 0: none yet. */
  backoffMs: number;
  /** Retries of a failed pull, and of a create or start the engine failed. */
  pullBackoffMs: number;
  retryBackoffMs: number;
  pullFailures: number;
  timer?: NodeJS.Timeout;
  prober?: Prober;
  /** The instance the runtime stopped for a failed liveness or startup probe. */
  probeKilled?: string;
  /** Operations on one container run one after the other. */
  chain: Promise<void>;
  syncQueued: boolean;
}

export interface DockerPod {
  spec: PodSpecForRuntime;
  startTime: string;
  containers: PodContainer[];
  stopping: boolean;
  abort: AbortController;
  followers: Set<{ raw: NodeJS.ReadableStream; out: Readable }>;
  lastReported?: string;
}

export const DEFAULTS = {
  resyncIntervalMs: 10_000,
  eventsRetryMs: 1_000,
};

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}

export function message(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export function instanceOf(info: ContainerInfo): number {
  const n = Number(info.Labels?.[LABELS.restartCount]);
  return Number.isFinite(n) ? n : 0;
}

/** A pod as the runtime starts it: every container waiting in ContainerCreating. */
export function newDockerPod(spec: PodSpecForRuntime, startTime: string): DockerPod {
  return {
    spec,
    startTime,
    stopping: false,
    abort: new AbortController(),
    followers: new Set(),
    containers: spec.containers.map((c) => ({
      spec: c,
      name: containerName(spec, c.name),
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
      restartCount: 0,
      hostPorts: {},
      backoffMs: 0,
      pullBackoffMs: 0,
      retryBackoffMs: 0,
      pullFailures: 0,
      chain: Promise.resolve(),
      syncQueued: false,
    })),
  };
}
