/**
 * From a pod's container spec to Docker's container-create body, and back from what
 * Docker reports (labels, port bindings, times). Pure functions, no I/O.
 */
import { parseQuantity } from '@berth/core';
import type { ContainerCreateOptions, ContainerInspectInfo } from 'dockerode';
import path from 'node:path';
import { buildEnv, expandVars } from '../expand';
import { volumeDir } from '../volumes';
import type { ContainerSpec, PodSpecForRuntime } from '../types';

/** The labels every Berth container carries (kubelet's dockershim kept `io.kubernetes.*`). */
export const LABELS = {
  podUID: 'berth.dev/pod-uid',
  podName: 'berth.dev/pod-name',
  namespace: 'berth.dev/namespace',
  container: 'berth.dev/container',
  /** Which instance of the container this is (0 for the first start, +1 per restart). */
  restartCount: 'berth.dev/restart-count',
  /** The pod as the agent asked for it (JSON), so a restarted agent can re-adopt it. */
  podSpec: 'berth.dev/pod-spec',
  podStartTime: 'berth.dev/pod-start-time',
} as const;

/** `berth_<namespace>_<pod>_<container>_<first 8 characters of the uid>`. */
export function containerName(pod: PodSpecForRuntime, container: string): string {
  const uid8 = pod.uid.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8);
  return ['berth', pod.namespace, pod.name, container, uid8]
    .map((part) => part.replace(/[^a-zA-Z0-9_.-]/g, '-'))
    .join('_');
}

/** The name the last exited instance is kept under (for `logs --previous`). */
export function previousName(name: string): string {
  return `${name}_previous`;
}

/** Thrown for a spec Docker cannot be given (reported as CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/** Docker's port key: `80/tcp`. */
export function portKey(port: { containerPort: number; protocol?: string }): string {
  return `${port.containerPort}/${(port.protocol ?? 'TCP').toLowerCase()}`;
}

/** The create body (the name goes in the query string separately). */
export function createBody(
  pod: PodSpecForRuntime,
  spec: ContainerSpec,
  restartCount: number,
  startTime: string,
  /** The directory the pod's volumes are in (`<dir>/volumes/<name>`), for bind mounts. */
  podDir?: string,
): ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports ?? []) {
    exposed[portKey(p)] = {};
    // A hostPort is bound as asked; an empty HostPort asks Docker for a free port (read
    // back from inspect).
    bindings[portKey(p)] = [
      { HostIp: p.hostIP ?? '', HostPort: p.hostPort ? String(p.hostPort) : '' },
    ];
  }
  // kubelet's $(VAR) expansion, as the process runtime does: each env value against the
  // entries before it, then command and args against the whole env.
  const env = buildEnv({}, spec.env, spec.envResolved);
  const body: ContainerCreateOptions = {
    Image: spec.image,
    Hostname: pod.name.slice(0, 63),
    Env: [...env].map(([name, value]) => `${name}=${value}`),
    Labels: {
      [LABELS.podUID]: pod.uid,
      [LABELS.podName]: pod.name,
      [LABELS.namespace]: pod.namespace,
      [LABELS.container]: spec.name,
      [LABELS.restartCount]: String(restartCount),
      [LABELS.podStartTime]: startTime,
      [LABELS.podSpec]: JSON.stringify(pod),
    },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      ...(spec.volumeMounts?.length ? { Binds: binds(pod, spec, podDir) } : {}),
      // Restarts are the runtime's (restartPolicy with CrashLoopBackOff), not Docker's.
      RestartPolicy: { Name: 'no' },
      ...resources(spec),
    },
  };
  if (spec.command?.length) body.Entrypoint = spec.command.map((s) => expandVars(s, env));
  if (spec.args?.length) body.Cmd = spec.args.map((s) => expandVars(s, env));
  if (spec.workingDir) body.WorkingDir = spec.workingDir;
  return body;
}

/** `host:container[:ro]` bind mounts of the container's volumeMounts. */
export function binds(pod: PodSpecForRuntime, spec: ContainerSpec, podDir?: string): string[] {
  return (spec.volumeMounts ?? []).map((m) => {
    if (!pod.volumes?.some((v) => v.name === m.name) || !podDir)
      throw new ContainerConfigError(
        `cannot find volume "${m.name}" to mount into container "${spec.name}"`,
      );
    const source = path.join(volumeDir(podDir, m.name), m.subPath ?? '');
    return `${source}:${m.mountPath}${m.readOnly ? ':ro' : ''}`;
  });
}

function resources(spec: ContainerSpec): {
  Memory?: number;
  NanoCpus?: number;
  CpuShares?: number;
} {
  const out: { Memory?: number; NanoCpus?: number; CpuShares?: number } = {};
  const limits = spec.resources?.limits ?? {};
  const requests = spec.resources?.requests ?? {};
  if (limits.memory !== undefined) out.Memory = Number(quantity(limits.memory, 'memory').value());
  // A CPU quantity in nano-units is exactly Docker's NanoCpus (1 CPU = 10^9).
  if (limits.cpu !== undefined) out.NanoCpus = Number(quantity(limits.cpu, 'cpu').nanoValue());
  const cpuRequest = requests.cpu ?? limits.cpu;
  if (cpuRequest !== undefined) {
    // kubelet's MilliCPUToShares: 1024 shares per CPU, at least 2.
    const milli = Number(quantity(cpuRequest, 'cpu').milliValue());
    out.CpuShares = Math.max(2, Math.floor((milli * 1024) / 1000));
  }
  return out;
}

function quantity(value: string, resource: string) {
  try {
    const q = parseQuantity(value);
    if (q.sign() < 0) throw new Error('must not be negative');
    return q;
  } catch (err) {
    throw new ContainerConfigError(
      `invalid ${resource} quantity "${value}": ${(err as Error).message}`,
    );
  }
}

/** containerPort → host port, from inspect's NetworkSettings.Ports (TCP before others). */
export function hostPortsOf(info: ContainerInspectInfo): Record<number, number> {
  const ports = (info.NetworkSettings?.Ports ?? {}) as Record<
    string,
    Array<{ HostIp: string; HostPort: string }> | null
  >;
  const out: Record<number, number> = {};
  const keys = Object.keys(ports).sort(
    (a, b) => Number(b.endsWith('/tcp')) - Number(a.endsWith('/tcp')),
  );
  for (const key of keys) {
    const containerPort = Number(key.split('/')[0]);
    const binding = (ports[key] ?? []).find((b) => b.HostPort);
    if (binding && out[containerPort] === undefined) out[containerPort] = Number(binding.HostPort);
  }
  return out;
}

/** Docker's RFC 3339 time with nanoseconds → Kubernetes' seconds; Docker's zero time → undefined. */
export function dockerTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The pod spec a container's labels carry, if they carry a usable one. */
export function podSpecFromLabels(labels: Record<string, string>): PodSpecForRuntime | undefined {
  try {
    const spec = JSON.parse(labels[LABELS.podSpec] ?? '') as PodSpecForRuntime;
    if (spec && spec.uid === labels[LABELS.podUID] && Array.isArray(spec.containers)) return spec;
  } catch {
    // fall through
  }
  return undefined;
}
