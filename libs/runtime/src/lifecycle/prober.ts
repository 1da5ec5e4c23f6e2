/**
 * A container's probes as kubelet's prober workers run them (pkg/kubelet/prober/worker.go),
 * shared by every runtime; how one attempt is made is the runtime's (`check`).
 *
 * - Every probe of an instance starts with it and waits `initialDelaySeconds` from the
 *   instance's start, then runs every `periodSeconds` (after the previous attempt ends).
 * - While the startup probe has not succeeded, liveness and readiness are skipped (and the
 *   container is neither started nor ready); its first success makes the container started
 *   (and ready when it has no readiness probe) and ends it.
 * - Liveness or startup failing `failureThreshold` times in a row: the prober stops and asks
 *   the runtime to kill the instance (`onFailure`); the restart policy decides what follows.
 * - Readiness: ready after `successThreshold` successes in a row, not ready after
 *   `failureThreshold` failures in a row.
 */
import type { ProbeResult } from '../probe-checks';
import type { ContainerSpec, ProbeSpec } from '../types';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Kubernetes' probe defaults (durations may be fractional seconds here). */
export function probeTimings(p: ProbeSpec): ProbeTimings {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds ?? 10) * 1000,
    timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** The part of a runtime's container the prober reads and sets. */
export interface ProbedContainer {
  spec: Pick<ContainerSpec, 'name' | 'startupProbe' | 'livenessProbe' | 'readinessProbe'>;
  started: boolean;
  ready: boolean;
}

export interface ProberHooks {
  /** One attempt of the probe (bounded by its `timeoutSeconds`); never throws. */
  check(kind: ProbeKind, spec: ProbeSpec): Promise<ProbeResult>;
  /** `started` or `ready` changed. */
  onChange(): void;
  /** The liveness or startup probe failed for good: kill the instance. */
  onFailure(kind: 'startup' | 'liveness', message: string | undefined): void;
  /** False once the instance is gone or being killed for another reason (checked around attempts). */
  alive?(): boolean;
  /** A failed attempt (for the runtime's debug log). */
  onAttemptFailed?(kind: ProbeKind, message: string | undefined): void;
}

const KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/** kubelet's started/ready for an instance that just began. */
export function initialProbeState(spec: ProbedContainer['spec']): {
  started: boolean;
  ready: boolean;
} {
  const started = !spec.startupProbe;
  return { started, ready: started && !spec.readinessProbe };
}

/** The probes of one container instance. */
export class Prober {
  private readonly timers = new Map<ProbeKind, NodeJS.Timeout>();
  private stopped = false;

  /**
   * Starts probing. `startedMs`: when the instance started (initial delays count from
   * there). `carried`: `started` and `ready` already hold what was known of this instance
   * (re-adopted by a new runtime); otherwise they are set as for a new instance.
   */
  constructor(
    private readonly c: ProbedContainer,
    private readonly hooks: ProberHooks,
    startedMs: number,
    carried = false,
  ) {
    if (!carried) Object.assign(c, initialProbeState(c.spec));
    for (const kind of KINDS) {
      const spec = c.spec[`${kind}Probe`];
      if (!spec || (kind === 'startup' && c.started)) continue;
      const run = { successes: 0, failures: 0 };
      const delay = Math.max(0, probeTimings(spec).initialDelayMs - (Date.now() - startedMs));
      this.schedule(kind, delay, () => this.attempt(kind, spec, run));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private live(): boolean {
    return !this.stopped && (this.hooks.alive?.() ?? true);
  }

  private schedule(kind: ProbeKind, delayMs: number, fn: () => Promise<void>): void {
    if (!this.live()) return;
    const t = setTimeout(() => {
      this.timers.delete(kind);
      void fn();
    }, delayMs);
    t.unref();
    this.timers.set(kind, t);
  }

  private async attempt(
    kind: ProbeKind,
    spec: ProbeSpec,
    run: { successes: number; failures: number },
  ): Promise<void> {
    if (!this.live()) return;
    const t = probeTimings(spec);
    const again = () => this.schedule(kind, t.periodMs, () => this.attempt(kind, spec, run));
    // Liveness and readiness wait for the startup probe.
    if (kind !== 'startup' && !this.c.started) return again();
    const result = await this.hooks.check(kind, spec);
    if (!this.live()) return;
    if (result.ok) {
      run.successes += 1;
      run.failures = 0;
    } else {
      run.failures += 1;
      run.successes = 0;
      this.hooks.onAttemptFailed?.(kind, result.message);
    }
    const c = this.c;
    if (kind === 'readiness') {
      if (result.ok && !c.ready && run.successes >= t.successThreshold) {
        c.ready = true;
        this.hooks.onChange();
      } else if (!result.ok && c.ready && run.failures >= t.failureThreshold) {
        c.ready = false;
        this.hooks.onChange();
      }
      return again();
    }
    if (kind === 'startup' && result.ok) {
      c.started = true;
      c.ready = !c.spec.readinessProbe;
      this.hooks.onChange();
      return;
    }
    if (run.failures >= t.failureThreshold) {
      this.stop();
      if (c.ready) {
        c.ready = false;
        this.hooks.onChange();
      }
      this.hooks.onFailure(kind, result.message);
      return;
    }
    again();
  }
}
