/**
 * Memory limits with cgroup v2, when the host lets this process create child cgroups:
 * the runtime makes `<own cgroup>/berth-pods/` (with the memory controller enabled) and one
 * child per container instance with `memory.max`; the kernel then enforces the limit on
 * every process of the container and counts OOM kills in `memory.events`.
 *
 * Often not possible (cgroup v1 hosts, containers without a delegated cgroup, a cgroup
 * with processes of its own cannot hand controllers down): {@link CgroupV2.detect} returns
 * undefined and the runtime watches resident memory instead.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class CgroupV2 {
  private constructor(readonly root: string) {}

  /** A usable parent cgroup for containers, or undefined with the reason. */
  static detect(mount = '/sys/fs/cgroup'): { cgroup?: CgroupV2; reason: string } {
    try {
      if (!existsSync(path.join(mount, 'cgroup.controllers')))
        return { reason: `${mount} is not a cgroup v2 mount` };
      const own = readFileSync('/proc/self/cgroup', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('0::'));
      if (!own) return { reason: 'this process is in no cgroup v2 group' };
      const base = path.join(mount, own.slice(3).trim());
      const root = path.join(base, 'berth-pods');
      mkdirSync(root, { recursive: true });
      if (!controllers(root).includes('memory')) {
        // Fails (EBUSY) when `base` holds processes and is not the root: the no-internal-
        // processes rule of cgroup v2.
        writeFileSync(path.join(base, 'cgroup.subtree_control'), '+memory');
      }
      if (!controllers(root).includes('memory'))
        return { reason: `the memory controller is not available in ${root}` };
      writeFileSync(path.join(root, 'cgroup.subtree_control'), '+memory');
      return { cgroup: new CgroupV2(root), reason: `cgroup v2 at ${root}` };
    } catch (e) {
      return { reason: `cannot create cgroups: ${(e as Error).message}` };
    }
  }

  /** Creates `name` with `memory.max` = `limitBytes` and returns its path. */
  create(name: string, limitBytes: number): string {
    const dir = path.join(this.root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'memory.max'), String(limitBytes));
    // An OOM kill takes the whole container, as with containerd.
    if (existsSync(path.join(dir, 'memory.oom.group')))
      writeFileSync(path.join(dir, 'memory.oom.group'), '1');
    if (existsSync(path.join(dir, 'memory.swap.max')))
      writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    return dir;
  }

  static addProcess(dir: string, pid: number): void {
    writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  }

  /** How many processes the kernel killed for exceeding the group's memory.max. */
  static oomKills(dir: string): number {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(path.join(dir, 'memory.events'), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  static remove(dir: string): void {
    try {
      rmdirSync(dir);
    } catch {
      // still has processes or already gone: left for the next start
    }
  }
}

function controllers(dir: string): string[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}
