/**
 * A pod's volumes on the node's disk, shared by the process and docker runtimes: the
 * agent computes the files of configMap, secret, downwardAPI and projected volumes (it
 * reads the API); the runtime puts them in `<pod dir>/volumes/<name>` with the kubelet's
 * atomic writer layout (`..data` swapped in one rename, so a reader always sees one whole
 * version), and makes emptyDir volumes as empty directories. An update (a changed
 * ConfigMap) rewrites the directory in place: a bind mount of it shows the new files.
 */
import {
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { workloads } from '@berth/core';

export interface RuntimeVolumeFile {
  /** Relative to the volume's root. */
  path: string;
  content: Buffer;
  mode: number;
}

/** A volume of the pod spec as the runtime gets it. */
export interface RuntimeVolume {
  name: string;
  /** An emptyDir: an empty directory, the pod's user's, for the pod's life. */
  emptyDir?: boolean;
  /** configMap/secret/downwardAPI/projected: the files the agent computed. */
  files?: RuntimeVolumeFile[];
}

/** A container's `volumeMounts[]` entry. */
export interface RuntimeVolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export function volumeDir(podDir: string, name: string): string {
  return path.join(podDir, 'volumes', name);
}

/** The files of the version `..data` points at. */
function currentVolume(dir: string): workloads.CurrentVolume | undefined {
  let dataDir: string;
  try {
    dataDir = readlinkSync(path.join(dir, workloads.DATA_DIR_NAME));
  } catch {
    return undefined;
  }
  const files: RuntimeVolumeFile[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, dataDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else {
        const full = path.join(dir, dataDir, r);
        files.push({ path: r, content: readFileSync(full), mode: lstatSync(full).mode & 0o777 });
      }
    }
  };
  walk('');
  return { dataDir, files };
}

/**
 * Writes `files` into `dir` by the atomic writer's plan; true when anything changed.
 * Throws the writer's error. With `owner`, the new files are the pod user's.
 */
export function writeVolumeFiles(
  dir: string,
  files: readonly RuntimeVolumeFile[],
  owner?: { uid: number; gid: number },
): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const result = workloads.planAtomicWrite(
    currentVolume(dir),
    files,
    new Date(),
    randomBytes(5).toString('hex'),
  );
  if (!result.ok) throw new Error(result.error);
  const plan = result.plan;
  if (plan.upToDate) return false;
  const data = path.join(dir, plan.newDataDir);
  const own = (p: string) => owner && chownSync(p, owner.uid, owner.gid);
  mkdirSync(data, { mode: 0o755 });
  own(data);
  for (const d of plan.directories) {
    mkdirSync(path.join(data, d), { mode: 0o755 });
    own(path.join(data, d));
  }
  for (const f of plan.files) {
    const p = path.join(data, f.path);
    writeFileSync(p, f.content, { mode: f.mode });
    chmodSync(p, f.mode);
    own(p);
  }
  const tmp = path.join(dir, workloads.NEW_DATA_DIR_NAME);
  rmSync(tmp, { force: true });
  symlinkSync(plan.newDataDir, tmp);
  renameSync(tmp, path.join(dir, workloads.DATA_DIR_NAME));
  for (const name of plan.createLinks)
    symlinkSync(path.join(workloads.DATA_DIR_NAME, name), path.join(dir, name));
  for (const name of plan.removeLinks) rmSync(path.join(dir, name), { force: true });
  if (plan.removeDataDir)
    rmSync(path.join(dir, plan.removeDataDir), { recursive: true, force: true });
  return true;
}

/** Makes every volume of the pod under `<podDir>/volumes` (emptyDirs the owner's). */
export function materializeVolumes(
  podDir: string,
  volumes: readonly RuntimeVolume[],
  owner?: { uid: number; gid: number },
): void {
  mkdirSync(path.join(podDir, 'volumes'), { recursive: true, mode: 0o711 });
  for (const v of volumes) {
    const dir = volumeDir(podDir, v.name);
    if (v.files) writeVolumeFiles(dir, v.files, owner);
    else {
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      if (owner) chownSync(dir, owner.uid, owner.gid);
      chmodSync(dir, owner ? 0o755 : 0o777);
    }
  }
}

/** Rewrites the file volumes among `volumes` (what changed shows, the rest is kept). */
export function rewriteVolumes(
  podDir: string,
  volumes: readonly RuntimeVolume[],
  owner?: { uid: number; gid: number },
): void {
  for (const v of volumes) if (v.files) writeVolumeFiles(volumeDir(podDir, v.name), v.files, owner);
}

/** The pod without its volumes' files (they are on disk; specs kept in state stay small). */
export function withoutVolumeFiles<T extends { volumes?: RuntimeVolume[] }>(pod: T): T {
  if (!pod.volumes) return pod;
  return { ...pod, volumes: pod.volumes.map(({ files: _, ...v }) => v) };
}

/** Removes a pod's volumes from `root` (`<root>/<uid>`), when there is a root. */
export function removePodVolumes(root: string | undefined, uid: string): void {
  if (root) rmSync(path.join(root, uid), { recursive: true, force: true });
}
