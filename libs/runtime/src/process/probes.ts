/**
 * One probe attempt, as kubelet's prober makes it: httpGet (a status of 200–399 is
 * success), tcpSocket (a connection is success) or exec (exit code 0 is success), each
 * bounded by `timeoutSeconds`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { httpCheck, tcpCheck, type ProbeResult } from '../probe-checks';
import type { ProbeSpec } from '../types';
import { expandVars } from '../expand';

export interface ProbeTarget {
  /** A probe's `port` (number or a port name) → the node port to connect to. */
  resolvePort(port: number | string): number | undefined;
  /** Default host for httpGet and tcpSocket. */
  host: string;
  env: Record<string, string>;
  cwd: string;
  /** Resolves an exec probe's executable (PATH lookup), undefined when not found. */
  resolveExecutable(cmd: string): string | undefined;
  /** How an exec probe's command is started (as the container's user): `[file, args]`. */
  launch?(exe: string, args: string[]): [string, string[]];
}

export type { ProbeResult };

/** Kubernetes' probe defaults. */
export function probeTimings(p: ProbeSpec): {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
} {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds ?? 10) * 1000,
    timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

export async function runProbe(p: ProbeSpec, target: ProbeTarget): Promise<ProbeResult> {
  const { timeoutMs } = probeTimings(p);
  if (p.httpGet) {
    const port = target.resolvePort(p.httpGet.port);
    if (port === undefined) return { ok: false, message: `unknown port ${p.httpGet.port}` };
    return httpCheck(
      p.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      p.httpGet.host || target.host,
      port,
      p.httpGet.path || '/',
      timeoutMs,
    );
  }
  if (p.tcpSocket) {
    const port = target.resolvePort(p.tcpSocket.port);
    if (port === undefined) return { ok: false, message: `unknown port ${p.tcpSocket.port}` };
    return tcpCheck(p.tcpSocket.host || target.host, port, timeoutMs);
  }
  if (p.exec) return execProbe(p.exec.command, target, timeoutMs);
  return { ok: false, message: 'the probe has no handler (httpGet, tcpSocket or exec)' };
}

function execProbe(
  command: string[],
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  // kubelet expands $(VAR) in an exec probe's command from the container's env.
  const vars = new Map(Object.entries(target.env));
  command = command.map((s) => expandVars(s, vars));
  return new Promise((resolve) => {
    const exe = command.length ? target.resolveExecutable(command[0]) : undefined;
    if (!exe) {
      resolve({ ok: false, message: `executable not found: ${command[0] ?? '(empty command)'}` });
      return;
    }
    let done = false;
    let child: ChildProcess | undefined;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Whatever the command left behind in its group goes too.
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, message: `command timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    try {
      // Its own process group, so that a timeout kills what it started too.
      const [file, args] = target.launch?.(exe, command.slice(1)) ?? [exe, command.slice(1)];
      child = spawn(file, args, {
        env: target.env,
        cwd: target.cwd,
        stdio: 'ignore',
        detached: true,
      });
    } catch (e) {
      finish({ ok: false, message: (e as Error).message });
      return;
    }
    child.once('error', (e) => finish({ ok: false, message: e.message }));
    child.once('exit', (code, signal) =>
      finish(
        code === 0 ? { ok: true } : { ok: false, message: `command exited with ${code ?? signal}` },
      ),
    );
  });
}
