/** The docker runtime's longer exchanges with the engine: logs, pulls, stops and renames. */
import Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { LogOptions, RuntimeLogger } from '../types';
import { previousName } from './container-config';
import { message, statusCode } from './docker-model';
import { DockerLogDemuxer } from './log-demux';

/**
 * A container's log, demultiplexed, with tail, since and timestamps passed on to Docker;
 * with `follow` (not `previous`) the stream stays open, registered in `followers` until it
 * closes. Docker's errors are thrown as they come (404: the container is gone).
 */
export async function containerLogs(
  docker: Docker,
  id: string,
  opts: LogOptions,
  followers: Set<{ raw: NodeJS.ReadableStream; out: Readable }>,
): Promise<Readable> {
  const base = {
    stdout: true,
    stderr: true,
    timestamps: !!opts.timestamps,
    ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
    ...(opts.sinceSeconds !== undefined
      ? { since: Math.floor(Date.now() / 1000) - opts.sinceSeconds }
      : {}),
  };
  const out = new DockerLogDemuxer();
  const container = docker.getContainer(id);
  if (opts.follow && !opts.previous) {
    const raw = await container.logs({ ...base, follow: true });
    const follower = { raw, out };
    followers.add(follower);
    raw.pipe(out);
    raw.on('error', (err: Error) => out.destroy(err));
    out.on('close', () => {
      followers.delete(follower);
      (raw as IncomingMessage).destroy?.();
    });
  } else {
    const data: unknown = await container.logs({ ...base, follow: false });
    out.end(
      Buffer.isBuffer(data)
        ? data
        : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
    );
  }
  return out;
}

/** Pulls an image; a pull that fails midway (an error line in the stream) rejects too. */
export async function pullImage(docker: Docker, image: string, signal: AbortSignal): Promise<void> {
  const stream = await docker.pull(image, { abortSignal: signal });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (
        err: Error | null,
        output: Array<{ error?: string; errorDetail?: { message?: string } }>,
      ) => {
        // A pull that fails midway still ends the stream normally, with an error line.
        const failed = output?.find((o) => o.error || o.errorDetail);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
    );
  });
}

/** Stops a container (SIGTERM, `grace` seconds, SIGKILL) and removes it; gone is fine. */
export async function stopAndRemove(docker: Docker, id: string, grace: number): Promise<void> {
  const container = docker.getContainer(id);
  try {
    await container.stop({ t: grace });
  } catch (err) {
    // 304: already stopped; 404: already gone.
    if (statusCode(err) !== 304 && statusCode(err) !== 404) throw err;
  }
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
}

/**
 * Keeps the exited instance `old` for `logs --previous`, renamed `<name>_previous` (the one
 * kept before it is removed): its id, or undefined when it could not be kept.
 */
export async function keepAsPrevious(
  docker: Docker,
  old: string,
  previous: string | undefined,
  name: string,
  log: RuntimeLogger,
): Promise<string | undefined> {
  // Only one previous instance is kept (a failed removal shows in the rename below).
  if (previous && previous !== old)
    await docker
      .getContainer(previous)
      .remove({ force: true })
      .catch(() => undefined);
  try {
    await docker.getContainer(old).rename({ name: previousName(name) });
    return old;
  } catch (err) {
    if (statusCode(err) !== 404) {
      // Cannot keep it (the name is taken?): make room for the new instance anyway.
      log.warn('docker: cannot keep the previous container, removing it', {
        container: name,
        error: message(err),
      });
      await docker
        .getContainer(old)
        .remove({ force: true })
        .catch(() => undefined);
    }
    return undefined;
  }
}

/** Whether a Docker engine answers at `socketPath` (dockerode's default when omitted). */
export async function pingDocker(socketPath?: string, timeoutMs = 2000): Promise<boolean> {
  const docker = socketPath ? new Docker({ socketPath, timeout: timeoutMs }) : new Docker();
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}
