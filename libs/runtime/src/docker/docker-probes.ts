/**
 * Where the docker runtime probes a container: a published port at the node's address
 * (nodeIP:hostPort), else the container's own IP; exec probes run through `docker exec`.
 */
import type Docker from 'dockerode';
import { Prober } from '../lifecycle/prober';
import { runProbe, withTimeout, type ProbeEndpoint, type ProbeResult } from '../probe-checks';
import type { ContainerSpec, RuntimeLogger } from '../types';
import type { DockerPod, PodContainer } from './docker-model';
import { DockerLogDemuxer } from './log-demux';

/**
 * The probes of instance `id` (lifecycle/prober.ts). A failed liveness or startup probe
 * stops the container (with the pod's grace period), then calls `killed`.
 */
export function dockerProber(
  docker: Docker,
  opts: { nodeIP: string; log: RuntimeLogger },
  p: DockerPod,
  c: PodContainer,
  id: string,
  hooks: { alive(): boolean; changed(): void; killed(): void },
): Prober {
  return new Prober(
    c,
    {
      check: (_kind, spec) => runProbe(spec, dockerEndpoint(docker, id, c, opts.nodeIP)),
      alive: hooks.alive,
      onChange: hooks.changed,
      onFailure: (kind, reason) => {
        opts.log.info(`docker: ${kind} probe failed, killing the container`, {
          pod: `${p.spec.namespace}/${p.spec.name}`,
          container: c.spec.name,
          reason,
        });
        c.probeKilled = id;
        docker
          .getContainer(id)
          .stop({ t: p.spec.terminationGracePeriodSeconds })
          .catch(() => undefined)
          .finally(hooks.killed);
      },
    },
    c.runningSinceMs ?? Date.now(),
  );
}

export function dockerEndpoint(
  docker: Docker,
  id: string,
  c: { spec: ContainerSpec; hostPorts: Record<number, number>; ipAddress?: string },
  nodeIP: string,
): ProbeEndpoint {
  return {
    address: (port, host) => {
      const containerPort =
        typeof port === 'number' || /^\d+$/.test(port)
          ? Number(port)
          : c.spec.ports?.find((x) => x.name === port)?.containerPort;
      if (containerPort === undefined)
        return { message: `port "${port}" is not a named port of container ${c.spec.name}` };
      if (host) return { host, port: containerPort };
      const hostPort = c.hostPorts[containerPort];
      if (hostPort) return { host: nodeIP, port: hostPort };
      if (c.ipAddress) return { host: c.ipAddress, port: containerPort };
      return { message: `port ${containerPort} of container ${c.spec.name} is not published` };
    },
    exec: (cmd, timeoutMs) =>
      withTimeout(() => execCheck(docker, id, cmd), timeoutMs, 'exec probe'),
  };
}

async function execCheck(docker: Docker, id: string, cmd: string[]): Promise<ProbeResult> {
  const exec = await docker.getContainer(id).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ Detach: false, Tty: false });
  const output: Buffer[] = [];
  const demux = new DockerLogDemuxer();
  demux.on('data', (b: Buffer) => output.push(b));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    demux.on('end', resolve);
    stream.pipe(demux);
  });
  const info = await exec.inspect();
  if (info.ExitCode === 0) return { ok: true };
  const text = Buffer.concat(output).toString().trim().slice(0, 1024);
  return {
    ok: false,
    message: `command ${JSON.stringify(cmd)} exited with ${info.ExitCode}${text ? `: ${text}` : ''}`,
  };
}
