/**
 * Who a process-runtime container runs as, and its pod's directories. With `podUsers` (the
 * agent as root) each pod has an unprivileged uid/gid of its own and its directories are
 * `<podsDir>/<uid>` (0711 root: reachable, not listable), `<uid>/work` (0700, the pod's
 * user) and `<uid>/logs` (0700 root); without, containers run as the agent's user.
 */
import {
  accessSync,
  chmodSync,
  chownSync,
  constants as fsConstants,
  mkdirSync,
  statSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { RuntimeLogger } from '../types';
import {
  containerIdentity,
  DEFAULT_POD_UID_RANGE,
  DEFAULT_UID_CLAIMS_DIR,
  findSetpriv,
  podIdentity,
  setprivArgs,
  UidAllocator,
  type ContainerIdentity,
  type PodIdentity,
} from './identity';
import { where, type ProcContainer, type ProcPod } from './model';

export class PodUsers {
  /**
   * Users for the pods (`podUsers`: root only, with setpriv) or none, and the pods'
   * directory: 0711 with users (every directory above it searchable), else 0700.
   */
  static create(
    podUsers: { uidRange?: [number, number]; claimsDir?: string } | undefined,
    searchPath: string,
    dataDir: string,
    podsDir: string,
    log: RuntimeLogger,
  ): PodUsers {
    if (!podUsers) {
      mkdirSync(podsDir, { recursive: true, mode: 0o700 });
      return new PodUsers(undefined, searchPath, log);
    }
    if (process.getuid?.() !== 0)
      throw new Error('the process runtime can run pods as users of their own only as root');
    const setpriv = findSetpriv(searchPath);
    const allocator = new UidAllocator(
      podUsers.uidRange ?? DEFAULT_POD_UID_RANGE,
      podUsers.claimsDir ?? DEFAULT_UID_CLAIMS_DIR,
      dataDir,
    );
    mkdirSync(podsDir, { recursive: true, mode: 0o711 });
    chmodSync(podsDir, 0o711);
    assertSearchable(path.dirname(podsDir));
    return new PodUsers({ setpriv, allocator }, searchPath, log);
  }

  constructor(
    /** With `podUsers`: the uid allocator and the setpriv that switches to them. */
    readonly users: { allocator: UidAllocator; setpriv: string } | undefined,
    private readonly searchPath: string,
    private readonly log: RuntimeLogger,
  ) {}

  /**
   * Who the container runs as, or why it cannot start (CreateContainerConfigError): a
   * `runAsUser` in the node's own range (another pod's, perhaps), or any other user than
   * the agent's when the agent cannot switch.
   */
  containerIdentity(p: ProcPod, c: ProcContainer): ContainerIdentity | string {
    const podContext = p.spec.securityContext;
    const own = c.spec.securityContext;
    if (!this.users || !p.identity) {
      if (own?.privileged === true) return { agent: true };
      const me = process.getuid?.();
      const wanted = own?.runAsUser ?? podContext?.runAsUser;
      if (wanted !== undefined && me !== undefined && wanted !== me)
        return `runAsUser ${wanted}: the node agent runs as uid ${me}, not root, and runs every container as itself`;
      return { agent: true };
    }
    const who = containerIdentity(p.identity, podContext, own);
    const range = this.users.allocator.range;
    if (
      !who.agent &&
      this.users.allocator.inRange(who.uid) &&
      !(p.identity.allocated && who.uid === p.identity.uid)
    )
      return `runAsUser ${who.uid} is in the range this node gives its pods (${range[0]}-${range[1]}): choose a user outside it, or none`;
    return who;
  }

  /** `[file, args, argv0]` that start `exe args` as `who`. */
  launch(
    who: ContainerIdentity,
    exe: string,
    args: string[],
    argv0: string,
  ): [string, string[], string] {
    if (who.agent || !this.users) return [exe, args, argv0];
    return [this.users.setpriv, setprivArgs(who, exe, args), 'setpriv'];
  }

  /** The pod's directory (0711 root), work (0700, the pod's user) and logs (0700 root). */
  preparePodDirs(p: ProcPod): void {
    const work = path.join(p.dir, 'work');
    if (!this.users || !p.identity) {
      mkdirSync(work, { recursive: true, mode: 0o700 });
      return;
    }
    mkdirSync(p.dir, { recursive: true, mode: 0o711 });
    chmodSync(p.dir, 0o711);
    mkdirSync(path.join(p.dir, 'logs'), { recursive: true, mode: 0o700 });
    chmodSync(path.join(p.dir, 'logs'), 0o700);
    mkdirSync(work, { recursive: true, mode: 0o700 });
    chownSync(work, p.identity.uid, p.identity.gid);
    chmodSync(work, 0o700);
  }

  /**
   * A container's working directory. Below the pod's own work directory (which its user
   * owns) it is made as the container's user, never as root: a pod's symlinks cannot make
   * the agent create directories elsewhere.
   */
  makeWorkDir(p: ProcPod, who: ContainerIdentity, workDir: string, env: Map<string, string>): void {
    if (workDir === path.join(p.dir, 'work') || who.agent || !this.users) {
      mkdirSync(workDir, { recursive: true });
      return;
    }
    execFileSync(this.users.setpriv, setprivArgs(who, 'mkdir', ['-p', '--', workDir]), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: env.get('PATH') ?? this.searchPath },
      timeout: 10_000,
    });
  }

  /** A re-adopted pod keeps its uid (claimed again); one from before users gets one now. */
  restoreIdentity(p: ProcPod, stored: PodIdentity | undefined): void {
    const users = this.users;
    if (!users) return;
    if (stored) {
      p.identity = stored;
      if (stored.allocated && !users.allocator.claim(stored.uid, p.spec.uid))
        this.log.error("a re-adopted pod's uid is claimed by another runtime of this host", {
          ...where(p),
          uid: stored.uid,
        });
      return;
    }
    p.identity = podIdentity(p.spec.securityContext, () => users.allocator.allocate(p.spec.uid));
    try {
      this.preparePodDirs(p);
    } catch (e) {
      this.log.error("cannot prepare a re-adopted pod's directories", { error: String(e) });
    }
  }
}

/**
 * Pods reach their working directory by its path: every directory above `<podsDir>` must
 * be searchable by others (0711 or 0755) — a 0700 data directory is not.
 */
export function assertSearchable(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0)
      throw new Error(
        `pods' directories must be under directories that their users can search, but ${d} is mode ${(mode & 0o777).toString(8).padStart(4, '0')}: choose a pods directory outside the agent's and the API's data directories (--pods-dir)`,
      );
    if (d === path.dirname(d)) return;
  }
}

/** An executable's path: as given when it holds a `/`, else the first match in PATH. */
export function resolveExecutable(
  cmd: string,
  searchPath: string,
  cwd: string,
): string | undefined {
  const candidates = cmd.includes('/')
    ? [path.resolve(cwd, cmd)]
    : searchPath
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(path.resolve(cwd, dir), cmd));
  for (const file of candidates) {
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not this one
    }
  }
  return undefined;
}
