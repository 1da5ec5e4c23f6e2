/**
 * Where the process runtime probes a container: its ports on the node (a port the container
 * did not declare is taken as a node port) and exec probes run as local commands, as the
 * container's user, in its working directory and environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ProbeEndpoint, ProbeResult } from '../probe-checks';
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

export function processEndpoint(target: ProbeTarget): ProbeEndpoint {
  return {
    address: (port, host) => {
      const resolved = target.resolvePort(port);
      if (resolved === undefined) return { message: `unknown port ${port}` };
      return { host: host ?? target.host, port: resolved };
    },
    exec: (command, timeoutMs) => execProbe(command, target, timeoutMs),
  };
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
