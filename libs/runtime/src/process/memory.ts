/**
 * Memory limits of the process runtime: cgroup v2 when the host delegates one (the kernel
 * kills), else the resident memory of each container's process group is summed every
 * interval and the group killed (SIGKILL) above the limit: `OOMKilled`, exit code 137.
 */
import { parseQuantity } from '@berth/core';
import type { RuntimeLogger } from '../types';
import { CgroupV2 } from './cgroup';
import { where, type Instance, type ProcContainer, type ProcPod } from './model';
import { HAS_PROC, processGroups, rssBytes, signalGroup } from './proc';

/** The cgroup v2 parent for containers when there is one (`enabled`), saying which it is. */
export function memoryEnforcement(enabled: boolean, log: RuntimeLogger): CgroupV2 | undefined {
  const { cgroup, reason } = enabled ? CgroupV2.detect() : { reason: 'cgroups disabled' };
  if (cgroup) log.info('process runtime: memory limits enforced by cgroup v2', { reason });
  else if (HAS_PROC)
    log.info('process runtime: memory limits enforced by watching resident memory', { reason });
  else log.warn('process runtime: memory limits are not enforced (no /proc, no cgroup v2)');
  return cgroup;
}

/** The container's memory limit in bytes (an invalid one is ignored, and logged). */
export function memoryLimit(p: ProcPod, c: ProcContainer, log: RuntimeLogger): number | undefined {
  const raw = c.spec.resources?.limits?.memory;
  if (raw === undefined) return undefined;
  try {
    const bytes = Number(parseQuantity(raw).value());
    return bytes > 0 ? bytes : undefined;
  } catch (e) {
    log.warn('ignoring an invalid memory limit', {
      ...where(p, c),
      memory: raw,
      error: (e as Error).message,
    });
    return undefined;
  }
}

/** Kills the running instances outside a cgroup whose process group is over its limit. */
export function killOverLimit(
  running: Iterable<{ p: ProcPod; c: ProcContainer; inst: Instance }>,
  log: RuntimeLogger,
): void {
  const watched = [...running].filter(
    ({ c, inst }) => c.memoryLimit !== undefined && !inst.cgroup && !inst.killing,
  );
  if (!watched.length) return;
  const groups = processGroups();
  for (const { p, c, inst } of watched) {
    const members = groups.get(inst.pid) ?? [];
    const rss = members.reduce((sum, pid) => sum + rssBytes(pid), 0);
    if (rss <= c.memoryLimit!) continue;
    log.warn('container over its memory limit: killed', {
      ...where(p, c),
      rssBytes: rss,
      limitBytes: c.memoryLimit,
    });
    inst.killing = 'OOMKilled';
    signalGroup(inst.pid, 'SIGKILL');
  }
}
