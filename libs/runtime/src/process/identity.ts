/**
 * Who a pod's processes are, for the process runtime.
 *
 * When the agent runs as root, each pod gets an unprivileged uid (and the same gid) of its
 * own from a range (default 200000–265535), unless its `securityContext.runAsUser` names
 * one (pod or container level; the container's wins). Every container process starts
 * through util-linux's `setpriv` with that uid/gid, no supplementary groups, empty
 * inheritable, ambient and bounding capability sets (so no capabilities, ever) and
 * `no_new_privs` (a setuid program cannot raise them). A container that its tenant allows
 * to be `privileged` runs as the agent (root, every capability).
 *
 * A uid is claimed host-wide (several agents may share a host) by creating
 * `<claimsDir>/<uid>` exclusively; the claim names the runtime's state directory and the
 * pod. It is released when the pod stops, after every process left with that uid was
 * killed, so a uid never serves two live pods. A claim whose state directory no longer
 * exists is stale and may be taken over; a runtime drops, on start, the claims of its own
 * state directory that its state does not list.
 *
 * When the agent is not root, it cannot switch users: pods run as the agent's user (a
 * `runAsUser` naming another user is refused with `CreateContainerConfigError`).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { RuntimeSecurityContext } from '../types';

export const DEFAULT_POD_UID_RANGE: [number, number] = [200_000, 265_535];
/** Host-wide uid claims (cleared at boot with /run: no pod survives a reboot anyway). */
export const DEFAULT_UID_CLAIMS_DIR = '/run/berth/pod-uids';

/** Parses `200000-265535` (both ends included). */
export function parseUidRange(raw: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(raw.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1 || last < first || last > 0xfffffffe)
    throw new Error(
      `a pod uid range is FIRST-LAST with 0 < FIRST <= LAST < 4294967295, got "${raw}"`,
    );
  return [first, last];
}

interface Claim {
  owner: string;
  pod: string;
}

/**
 * Hands out uids of a range, one per pod, claimed in a directory that every runtime of the
 * host shares (`owner`: this runtime's state directory).
 */
export class UidAllocator {
  private next: number;

  constructor(
    readonly range: [number, number],
    private readonly claimsDir: string,
    private readonly owner: string,
  ) {
    mkdirSync(claimsDir, { recursive: true, mode: 0o700 });
    chmodSync(claimsDir, 0o700);
    // Start somewhere in the range, so that runtimes of one host do not all race for the
    // first uid.
    this.next = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
  }

  inRange(uid: number): boolean {
    return uid >= this.range[0] && uid <= this.range[1];
  }

  /** A free uid of the range, claimed for `pod`. Throws when the range is used up. */
  allocate(pod: string): number {
    const size = this.range[1] - this.range[0] + 1;
    for (let i = 0; i < size; i++) {
      const uid = this.next;
      this.next = uid >= this.range[1] ? this.range[0] : uid + 1;
      if (this.claim(uid, pod)) return uid;
    }
    throw new Error(
      `no free pod uid in ${this.range[0]}-${this.range[1]}: every one serves a live pod`,
    );
  }

  /**
   * Claims `uid` for `pod` (again, after a restart): true when it is now this pod's —
   * already was, was free, or its claim was stale.
   */
  claim(uid: number, pod: string): boolean {
    const file = this.file(uid);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, JSON.stringify({ owner: this.owner, pod } satisfies Claim));
        } finally {
          closeSync(fd);
        }
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = this.read(uid);
      if (held && held.owner === this.owner && held.pod === pod) return true;
      // Stale: its runtime's state directory is gone (or the claim is unreadable).
      if (held && existsSync(held.owner)) return false;
      rmSync(file, { force: true });
    }
    return false;
  }

  /** Gives `uid` back (only when `pod` holds it). */
  release(uid: number, pod: string): void {
    const held = this.read(uid);
    if (held && held.owner === this.owner && held.pod === pod)
      rmSync(this.file(uid), { force: true });
  }

  /** Drops this owner's claims for pods not in `keep` (left by a crash). */
  prune(keep: Set<string>): void {
    let names: string[];
    try {
      names = readdirSync(this.claimsDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      const held = this.read(Number(name));
      if (held && held.owner === this.owner && !keep.has(held.pod))
        rmSync(this.file(Number(name)), { force: true });
    }
  }

  private file(uid: number): string {
    return path.join(this.claimsDir, String(uid));
  }

  private read(uid: number): Claim | undefined {
    try {
      const c = JSON.parse(readFileSync(this.file(uid), 'utf8')) as Claim;
      return typeof c.owner === 'string' && typeof c.pod === 'string' ? c : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A pod's own identity: its uid/gid, and whether it was allocated (and is released). */
export interface PodIdentity {
  uid: number;
  gid: number;
  allocated: boolean;
}

/** How a container is started: as the agent, or through setpriv as uid/gid. */
export type ContainerIdentity = { agent: true } | { agent: false; uid: number; gid: number };

function id(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** The pod's identity: `runAsUser`/`runAsGroup` of the pod, else `allocate()`d. */
export function podIdentity(
  pod: RuntimeSecurityContext | undefined,
  allocate: () => number,
): PodIdentity {
  const user = id(pod?.runAsUser);
  const group = id(pod?.runAsGroup);
  if (user !== undefined) return { uid: user, gid: group ?? user, allocated: false };
  const uid = allocate();
  return { uid, gid: group ?? uid, allocated: true };
}

/** A container's identity: its own securityContext wins over the pod's. */
export function containerIdentity(
  pod: PodIdentity,
  podContext: RuntimeSecurityContext | undefined,
  container: RuntimeSecurityContext | undefined,
): ContainerIdentity {
  if (container?.privileged === true) return { agent: true };
  const user = id(container?.runAsUser);
  const group = id(container?.runAsGroup) ?? id(podContext?.runAsGroup);
  if (user === undefined) return { agent: false, uid: pod.uid, gid: group ?? pod.gid };
  return { agent: false, uid: user, gid: group ?? user };
}

/** The setpriv arguments that run `exe args` as `who` without any privilege. */
export function setprivArgs(
  who: { uid: number; gid: number },
  exe: string,
  args: string[],
): string[] {
  return [
    `--reuid=${who.uid}`,
    `--regid=${who.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    exe,
    ...args,
  ];
}

/**
 * The path of a working `setpriv` (util-linux, Essential in Debian), or an error saying
 * what is missing: the runtime refuses to run pods as root without it.
 */
export function findSetpriv(searchPath: string): string {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const file = path.join(dir, 'setpriv');
    if (!existsSync(file)) continue;
    try {
      execFileSync(file, ['--version'], { stdio: 'ignore', timeout: 5000 });
      return file;
    } catch {
      // not runnable: try the next one
    }
  }
  throw new Error(
    'setpriv (util-linux) is not installed: the process runtime needs it to run pods as unprivileged users when the agent runs as root (Debian: apt-get install util-linux)',
  );
}

/** Every live process whose real uid is `uid` (Linux /proc). */
export function processesOfUser(uid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      const zombie = /^State:\s+Z/m.test(status);
      if (m && Number(m[1]) === uid && !zombie) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** SIGKILLs every process of `uid` (what a pod left behind outside its groups). */
export function killUser(uid: number): number {
  const pids = processesOfUser(uid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return pids.length;
}
