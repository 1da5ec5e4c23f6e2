/**
 * Volumes at their `mountPath` on the process runtime. As root, with util-linux's
 * `unshare` and `mount`, each container starts in a mount namespace of its own
 * (`unshare --mount --propagation private`): its volumes are bind-mounted at their
 * mountPaths (read-only ones remounted `ro`), missing mount points are created (as empty
 * directories on the host: the container shares the host's filesystem), and then the
 * container's program is exec'd (through setpriv, as its pod's user). Nothing of this is
 * seen outside that namespace.
 *
 * Otherwise (the agent is not root, or those programs are missing) the agent says so once
 * at start and each mounted volume is only exported: `BERTH_VOLUME_<NAME>` (the volume's
 * name upper-cased, other characters `_`) holds the directory the files are in.
 */
import path from 'node:path';
import type { RuntimeLogger } from '../types';
import { resolveExecutable } from './users-and-dirs';

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** `unshare`'s path when containers can have mount namespaces (logged once either way). */
export function detectMountNamespaces(searchPath: string, log: RuntimeLogger): string | undefined {
  const unshare = resolveExecutable('unshare', searchPath, '/');
  const mount = resolveExecutable('mount', searchPath, '/');
  if (process.getuid?.() === 0 && unshare && mount) {
    log.info('volumes are bind-mounted at their mountPath, in a mount namespace per container');
    return unshare;
  }
  const why =
    process.getuid?.() !== 0
      ? 'the agent is not root'
      : `${unshare ? 'mount' : 'unshare'} (util-linux) is not installed`;
  log.warn(
    `volumes cannot be mounted at their mountPath (${why}): a container finds each of its volumes in the directory its BERTH_VOLUME_<NAME> variable names`,
  );
  return undefined;
}

export function volumeEnvName(volume: string): string {
  return `BERTH_VOLUME_${volume.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `[file, args]` that run `file args` after the bind mounts, in a new mount namespace. */
export function inMountNamespace(
  unshare: string,
  mounts: readonly BindMount[],
  file: string,
  args: readonly string[],
): [string, string[]] {
  const steps = mounts.map((m) => {
    const target = quote(path.resolve('/', m.target));
    const bind = `mkdir -p ${target} && mount --bind ${quote(m.source)} ${target}`;
    return m.readOnly ? `${bind} && mount -o remount,bind,ro ${target}` : bind;
  });
  const script = `set -e; ${steps.join('; ')}; exec "$@"`;
  return [
    unshare,
    ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', file, ...args],
  ];
}
