/**
 * What the process runtime runs for a container: its command (Kubernetes semantics, with
 * the image profiles of image-profiles.ts), user, working directory and environment, and where its probes
 * reach it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { buildEnv, expandVars } from '../expand';
import type { RuntimeLogger } from '../types';
import { CgroupV2 } from './cgroup';
import type { ContainerIdentity } from './identity';
import { containerArgv, PROFILED_IMAGES } from './image-profiles';
import { inMountNamespace, volumeEnvName, type BindMount } from './mounts';
import { volumeDir } from '../volumes';
import type { ProcContainer, ProcPod } from './model';
import type { ProbeTarget } from './probes';
import { resolveExecutable, type PodUsers } from './users-and-dirs';

/** What a container's launch depends on besides the pod and the container. */
export interface LaunchContext {
  users: PodUsers;
  /** The containers' PATH. */
  path: string;
  nodeIP: string;
  log: RuntimeLogger;
  /** `unshare`, when containers get mount namespaces (see mounts.ts). */
  unshare?: string;
}

export interface LaunchPlan {
  who: ContainerIdentity;
  workDir: string;
  env: Map<string, string>;
  argv: string[];
  exe: string;
  /** The container's volumes at their mountPaths (with a mount namespace). */
  mounts: BindMount[];
}

/**
 * The launch of a new instance, or why there is none: a waiting state (the container
 * cannot be created as it is) or a start error (it is tried again per restartPolicy).
 */
export function planLaunch(
  p: ProcPod,
  c: ProcContainer,
  ctx: LaunchContext,
): LaunchPlan | { waiting: { reason: string; message: string } } | { startError: string } {
  const spec = c.spec;
  const command = containerArgv(spec.image, spec.command, spec.args);
  if (!command)
    return {
      waiting: {
        reason: 'CreateContainerError',
        message: `the process runtime runs a container's command, and image "${spec.image}" names no program it knows (images it knows: ${PROFILED_IMAGES.join(', ')}): set command`,
      },
    };
  const who = ctx.users.containerIdentity(p, c);
  if (typeof who === 'string')
    return { waiting: { reason: 'CreateContainerConfigError', message: who } };
  const workDir = path.resolve(p.dir, 'work', spec.workingDir ?? '');
  const env = containerEnv(p, c, workDir, ctx);
  const mounts: BindMount[] = [];
  for (const m of spec.volumeMounts ?? []) {
    if (!p.spec.volumes?.some((v) => v.name === m.name))
      return {
        waiting: {
          reason: 'CreateContainerConfigError',
          message: `cannot find volume "${m.name}" to mount into container "${spec.name}"`,
        },
      };
    const source = path.join(volumeDir(p.dir, m.name), m.subPath ?? '');
    if (!ctx.unshare) env.set(volumeEnvName(m.name), source);
    else mounts.push({ source, target: m.mountPath, readOnly: m.readOnly === true });
  }
  const argv = command.map((s) => expandVars(s, env));
  const exe =
    resolveExecutable(argv[0], env.get('PATH') ?? ctx.path, workDir) ??
    (argv[0] === 'node' ? process.execPath : undefined);
  if (!exe) return { startError: `exec: "${argv[0]}": executable file not found in $PATH` };
  return { who, workDir, env, argv, exe, mounts };
}

/**
 * PATH, HOME (the working directory), HOSTNAME, POD_NAME, POD_NAMESPACE, POD_UID, POD_IP and
 * HOST_IP, PORT and `BERTH_PORT_<n>`, then the container's `env`.
 */
export function containerEnv(
  p: ProcPod,
  c: ProcContainer,
  workDir: string,
  ctx: LaunchContext,
): Map<string, string> {
  const base: Record<string, string> = {
    PATH: ctx.path,
    HOME: workDir,
    HOSTNAME: p.spec.name,
    POD_NAME: p.spec.name,
    POD_NAMESPACE: p.spec.namespace,
    POD_UID: p.spec.uid,
    POD_IP: ctx.nodeIP,
    HOST_IP: ctx.nodeIP,
  };
  const ports = c.spec.ports ?? [];
  if (ports.length) base.PORT = String(c.hostPorts[ports[0].containerPort]);
  for (const port of ports)
    base[`BERTH_PORT_${port.containerPort}`] = String(c.hostPorts[port.containerPort]);
  return buildEnv(base, c.spec.env, c.spec.envResolved);
}

/** Where the container's probes reach it (exec probes as its user, in its directory). */
export function probeTarget(p: ProcPod, c: ProcContainer, ctx: LaunchContext): ProbeTarget {
  const workDir = path.resolve(p.dir, 'work', c.spec.workingDir ?? '');
  const env = containerEnv(p, c, workDir, ctx);
  const who = ctx.users.containerIdentity(p, c);
  return {
    launch: (exe, args) => {
      const [file, all] = ctx.users.launch(
        typeof who === 'string' ? { agent: true } : who,
        exe,
        args,
        exe,
      );
      return [file, all];
    },
    host: '127.0.0.1',
    cwd: workDir,
    env: Object.fromEntries(env),
    resolvePort: (port) => {
      if (typeof port === 'string') {
        const named = c.spec.ports?.find((x) => x.name === port);
        if (named) return c.hostPorts[named.containerPort];
        return /^\d+$/.test(port) ? (c.hostPorts[Number(port)] ?? Number(port)) : undefined;
      }
      // A port the container did not declare is taken as a node port.
      return c.hostPorts[port] ?? port;
    },
    resolveExecutable: (cmd) => resolveExecutable(cmd, env.get('PATH') ?? ctx.path, workDir),
  };
}

/**
 * Starts the plan's process, a session and process group of its own, writing to `fd`
 * (closed here), in a cgroup of its own with `limit` when the host has cgroup v2 (else the
 * runtime watches its resident memory). Throws when it cannot be started; without a pid,
 * an `error` event tells why.
 */
export function spawnContainer(
  plan: LaunchPlan,
  fd: number,
  ctx: LaunchContext,
  memory: { cgroup?: CgroupV2; name: string; limit?: number },
): { child: ChildProcess; cgroup?: string } {
  let cgroup: string | undefined;
  if (memory.cgroup && memory.limit !== undefined) {
    try {
      cgroup = memory.cgroup.create(memory.name, memory.limit);
    } catch (e) {
      ctx.log.warn('cannot create a cgroup: watching resident memory instead', {
        error: (e as Error).message,
      });
    }
  }
  let child: ChildProcess;
  try {
    const { who, exe, argv } = plan;
    let [file, args, argv0] = ctx.users.launch(who, exe, argv.slice(1), argv[0]);
    if (ctx.unshare && plan.mounts.length) {
      [file, args] = inMountNamespace(ctx.unshare, plan.mounts, file, args);
      argv0 = file;
    }
    child = spawn(file, args, {
      argv0,
      cwd: plan.workDir,
      env: Object.fromEntries(plan.env),
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  child.unref();
  if (child.pid === undefined) return { child };
  child.on('error', () => undefined); // a later error (a failed kill) changes nothing
  if (cgroup) {
    try {
      CgroupV2.addProcess(cgroup, child.pid);
    } catch (e) {
      ctx.log.warn('cannot move a container into its cgroup', { error: (e as Error).message });
      cgroup = undefined;
    }
  }
  return { child, ...(cgroup ? { cgroup } : {}) };
}
