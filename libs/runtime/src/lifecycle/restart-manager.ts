/**
 * What happens to a container when it ends, shared by every runtime: kubelet's restart
 * decision per `restartPolicy` and its CrashLoopBackOff.
 *
 * kubelet (pkg/kubelet/kuberuntime, doBackOff over client-go's flowcontrol.Backoff) keeps no
 * back-off entry for a container until it first exits: the first exit is restarted at once
 * and creates the entry at the initial delay (10 s); each later exit within the back-off
 * waits it (waiting reason CrashLoopBackOff, "back-off 10s restarting failed container=…")
 * and doubles it up to the cap (5 min). An exit more than twice the cap (10 min) after the
 * last restart starts over, as if it were the first.
 */
import type { ContainerState, PodSpecForRuntime } from '../types';

export interface BackoffConfig {
  /** The delay before the second restart (the first is immediate). Default 10 s. */
  initialMs: number;
  /** The cap of the doubling delay. Default 5 min. */
  maxMs: number;
  /** A container running this long before it exits starts its back-off over. Default 10 min. */
  resetMs: number;
}

/** The tuning every runtime accepts (milliseconds: tests use small values). */
export interface BackoffOptions {
  /** CrashLoopBackOff: the delay before the second restart (the first is immediate). */
  initialBackoffMs?: number;
  /** The cap the delay doubles up to. Default 5 min. */
  maxBackoffMs?: number;
  /** A container running this long resets its back-off. Default 10 min. */
  backoffResetMs?: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetMs: 600_000,
};

export function backoffConfig(opts: BackoffOptions): BackoffConfig {
  return {
    initialMs: opts.initialBackoffMs ?? DEFAULT_BACKOFF.initialMs,
    maxMs: opts.maxBackoffMs ?? DEFAULT_BACKOFF.maxMs,
    resetMs: opts.backoffResetMs ?? DEFAULT_BACKOFF.resetMs,
  };
}

/** What the restart manager keeps of a container (every runtime's container has these). */
export interface RestartableContainer {
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** The back-off the next exit waits; 0 while there is none yet (the next restart is at once). */
  backoffMs: number;
}

export interface ContainerExit {
  terminated: NonNullable<ContainerState['terminated']>;
  /** How long the instance ran (for the back-off reset). */
  ranMs: number;
  /** The runtime killed it for a failed liveness or startup probe. */
  probeKilled?: boolean;
}

export type RestartDecision = { restart: false } | { restart: true; delayMs: number };

/**
 * Whether kubelet restarts a container that ended so: always under `Always`, on a non-zero
 * exit (or a kill for a failed probe) under `OnFailure`, never under `Never`.
 */
export function shouldRestart(
  policy: PodSpecForRuntime['restartPolicy'],
  exitCode: number,
  probeKilled = false,
): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && (exitCode !== 0 || probeKilled));
}

/**
 * The next step of kubelet's back-off after an exit: the delay to wait now (0: restart at
 * once) and the back-off the exit after that waits.
 */
export function nextBackoff(
  cfg: BackoffConfig,
  backoffMs: number,
  ranMs: number,
): { delayMs: number; backoffMs: number } {
  const current = ranMs >= cfg.resetMs ? 0 : backoffMs;
  return {
    delayMs: current,
    backoffMs: current === 0 ? cfg.initialMs : Math.min(current * 2, cfg.maxMs),
  };
}

/**
 * A retry back-off that waits from the first failure (kubelet's image pull back-off, and
 * retries of a failing engine): `backoffMs` 0 means the initial delay.
 */
export function retryBackoff(
  cfg: BackoffConfig,
  backoffMs: number,
): { delayMs: number; backoffMs: number } {
  const delayMs = backoffMs || cfg.initialMs;
  return { delayMs, backoffMs: Math.min(delayMs * 2, cfg.maxMs) };
}

/** kubelet's CrashLoopBackOff message. */
export function crashLoopMessage(
  pod: Pick<PodSpecForRuntime, 'name' | 'namespace' | 'uid'>,
  container: string,
  delayMs: number,
): string {
  return `back-off ${goDuration(delayMs)} restarting failed container=${container} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
}

/**
 * Records an exit on the container and decides what follows: it stays terminated (no
 * restart under the policy, or the pod is going away), or waits `delayMs` before its next
 * instance — in `ContainerCreating` for an immediate restart, in `CrashLoopBackOff` for a
 * delayed one — with `lastState` the exit and `restartCount` one more.
 */
export class RestartManager {
  readonly cfg: BackoffConfig;

  constructor(opts: BackoffOptions = {}) {
    this.cfg = backoffConfig(opts);
  }

  exited(
    pod: Pick<PodSpecForRuntime, 'name' | 'namespace' | 'uid' | 'restartPolicy'>,
    name: string,
    c: RestartableContainer,
    exit: ContainerExit,
    opts: { podGoing?: boolean } = {},
  ): RestartDecision {
    c.ready = false;
    c.started = false;
    const { terminated } = exit;
    if (
      opts.podGoing ||
      !shouldRestart(pod.restartPolicy, terminated.exitCode, exit.probeKilled ?? false)
    ) {
      c.state = { terminated };
      return { restart: false };
    }
    const { delayMs, backoffMs } = nextBackoff(this.cfg, c.backoffMs, exit.ranMs);
    c.backoffMs = backoffMs;
    c.lastState = { terminated };
    c.restartCount += 1;
    c.state =
      delayMs === 0
        ? { waiting: { reason: 'ContainerCreating' } }
        : {
            waiting: { reason: 'CrashLoopBackOff', message: crashLoopMessage(pod, name, delayMs) },
          };
    return { restart: true, delayMs };
  }
}

/** A duration as Go prints a time.Duration (kubelet's messages): 200ms, 10s, 1.5s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  const m = Math.floor(s / 60);
  const rest = Number((s - m * 60).toFixed(3));
  return m < 60 ? `${m}m${rest}s` : `${Math.floor(m / 60)}h${m % 60}m${rest}s`;
}
