/**
 * Process-table helpers for the process runtime (Linux `/proc`): identity of a process
 * across pid reuse, the members of a process group, their memory, and signalling a whole
 * group and waiting until it is gone.
 *
 * Without `/proc` (macOS, for development) liveness falls back to `kill(pid, 0)`: no
 * guard against pid reuse, group members cannot be listed (only whether the group still
 * exists) and resident memory is unknown, so memory limits are not enforced.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Whether this host has Linux's `/proc`. */
export const HAS_PROC = existsSync('/proc/self/stat');

function signalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T, … (a zombie, Z, has exited and only waits to be reaped). */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks after boot: with the pid, identifies a process over time. */
  startTicks: number;
}

/** `/proc/<pid>/stat`, or undefined when there is no such process. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain ") ".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0],
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    startTicks: Number(fields[19]),
  };
}

/** Whether `pid` is still the (live, not zombie) process that started at `startTicks`. */
export function isSameProcess(pid: number, startTicks: number): boolean {
  if (!HAS_PROC) return signalZero(pid);
  const s = readStat(pid);
  return !!s && s.state !== 'Z' && s.startTicks === startTicks;
}

/** Every live (non-zombie) process, by process group. */
export function processGroups(): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s || s.state === 'Z') continue;
    const members = groups.get(s.pgrp);
    if (members) members.push(s.pid);
    else groups.set(s.pgrp, [s.pid]);
  }
  return groups;
}

/** The live members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return signalZero(-pgid) ? [pgid] : [];
  return processGroups().get(pgid) ?? [];
}

/** Resident memory of `pid` in bytes (VmRSS), 0 when unknown. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves true once no live process is left in group `pgid`, false after `timeoutMs`.
 * A `kill(-pgid, 0)` answers first (cheap); only while the group exists is `/proc` read,
 * as a group of zombies only (waiting for a reaper) counts as gone.
 */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    if (!signalZero(-pgid) || groupMembers(pgid).length === 0) return true;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) return false;
    // Quick at first (most programs exit within milliseconds of SIGTERM), then gentler.
    await new Promise((r) => setTimeout(r, waited < 500 ? 20 : 100));
  }
}

/**
 * Stops process group `pgid` as kubelet stops a container: SIGTERM, up to `graceMs` for
 * it to exit, then SIGKILL. Resolves once every process of the group is gone.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (graceMs > 0 && (await waitGroupGone(pgid, graceMs))) return;
  signalGroup(pgid, 'SIGKILL');
  // SIGKILL cannot be ignored; a process in uninterruptible sleep goes when it wakes.
  await waitGroupGone(pgid, 10_000);
}
