/**
 * How many descriptors the node proxy may take, so that the agent never runs out of them:
 * its Lease renewals, pod watches, log files and the pods' pipes need descriptors too, and
 * one Service with 20,000 ports once took an agent to its open-file limit and its node
 * NotReady with it.
 *
 * Node.js has no getrlimit(), so the soft RLIMIT_NOFILE is read from /proc/self/limits
 * (Linux), else from `ulimit -n` in a shell (which inherits the limit), else taken as 1024
 * (the usual soft default). The proxy then keeps to half of it: at most a quarter for
 * listeners and a quarter for proxied connections (two descriptors each: client and
 * endpoint), within what `--proxy-max-listeners` and `--proxy-max-connections` allow.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Assumed when the limit cannot be read. */
export const ASSUMED_OPEN_FILE_LIMIT = 1024;

/** The soft "Max open files" of a /proc/<pid>/limits text; Infinity for unlimited. */
export function parseProcLimits(text: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  if (!line) return undefined;
  const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return Infinity;
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** This process's soft open-file limit, and where it was read. */
export function openFileLimit(): { limit: number; source: string } {
  try {
    const limit = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
    if (limit !== undefined) return { limit, source: '/proc/self/limits' };
  } catch {
    // not Linux: ask a shell
  }
  try {
    const raw = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 });
    const value = raw.trim();
    if (value === 'unlimited') return { limit: Infinity, source: 'ulimit -n' };
    const n = Number(value);
    if (Number.isInteger(n) && n > 0) return { limit: n, source: 'ulimit -n' };
  } catch {
    // no shell
  }
  return { limit: ASSUMED_OPEN_FILE_LIMIT, source: 'assumed' };
}

export interface ProxyBudget {
  /** Listening sockets (cluster IP ports and node ports) at most. */
  listeners: number;
  /** Proxied connections open at once, at most. */
  connections: number;
  /** The soft open-file limit the budget was fitted in. */
  openFileLimit: number;
  /** True when the limit lowered what was asked for. */
  lowered: boolean;
}

/** What was asked for, fitted within half of `openFileLimit` (see the module comment). */
export function proxyBudget(
  wanted: { listeners: number; connections: number },
  limit: number,
): ProxyBudget {
  const listeners = Math.max(1, Math.min(wanted.listeners, Math.floor(limit / 4)));
  const connections = Math.max(1, Math.min(wanted.connections, Math.floor(limit / 8)));
  return {
    listeners,
    connections,
    openFileLimit: limit,
    lowered: listeners < wanted.listeners || connections < wanted.connections,
  };
}
