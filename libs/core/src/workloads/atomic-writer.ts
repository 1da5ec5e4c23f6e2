/**
 * The kubelet's atomic writer (pkg/volume/util/atomic_writer.go) as a plan: how a volume
 * directory moves from one set of files to the next so that readers always see one whole
 * version. The layout it maintains:
 *
 *     <volume>/..2024_05_01_12_00_00.123456789/   the files of the current version
 *     <volume>/..data -> ..2024_05_01_12_00_00.123456789
 *     <volume>/<top-level name> -> ..data/<top-level name>   (one per top-level entry)
 *
 * An update writes a fresh timestamped directory, points `..data_tmp` at it, renames that
 * over `..data` (the atomic step), adds links for new top-level names, removes links of
 * vanished ones and finally the old directory. Running the steps is the runtime's job.
 */
import type { VolumeFile } from './volume-files';

/** Go's path.Clean for slash-separated paths: `a//b/./c/../d/` → `a/b/d`, `` → `.`. */
export function cleanPath(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

function dirname(p: string): string {
  const at = p.lastIndexOf('/');
  return at === -1 ? '.' : p.slice(0, at);
}

const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;
export const DATA_DIR_NAME = '..data';
export const NEW_DATA_DIR_NAME = '..data_tmp';

/** atomic_writer validatePath: the problem with a payload path, or undefined. */
export function validatePath(targetPath: string): string | undefined {
  if (targetPath === '') return `invalid path: must not be empty: ${JSON.stringify(targetPath)}`;
  if (targetPath.startsWith('/')) return `invalid path: must be relative path: ${targetPath}`;
  if (targetPath.length > MAX_PATH_LENGTH)
    return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`;
  const items = targetPath.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${targetPath}`;
    if (item.length > MAX_FILE_NAME_LENGTH)
      return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`;
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2)
    return `invalid path: must not start with '..': ${targetPath}`;
  return undefined;
}

/** `..2006_01_02_15_04_05.<suffix>`: the timestamped directory name (UTC), as os.MkdirTemp makes it. */
export function timestampDirName(now: Date, suffix: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.${suffix}`;
}

export interface CurrentVolume {
  /** The timestamped directory `..data` points to. */
  dataDir: string;
  files: readonly VolumeFile[];
}

export interface AtomicWritePlan {
  /** Nothing to do: every file has the same content and nothing is to be removed. */
  upToDate: boolean;
  /** The new timestamped directory to create (0755), then fill. */
  newDataDir: string;
  /** Directories to create inside it, parents first (0755). */
  directories: string[];
  /** Files to write inside it, with their modes. */
  files: VolumeFile[];
  /** Top-level names to link as `<name> -> ..data/<name>` (those not linked yet). */
  createLinks: string[];
  /** Paths of the old version no longer present (for information; only top-level ones are links). */
  removedPaths: string[];
  /** Top-level links to remove after the swap. */
  removeLinks: string[];
  /** The old timestamped directory to remove last, if any. */
  removeDataDir?: string;
}

export type AtomicWriteResult = { ok: true; plan: AtomicWritePlan } | { ok: false; error: string };

/** A path and all its parent directories (`a/b/c` → `a/b/c`, `a/b`, `a`). */
function withParents(p: string): string[] {
  const out: string[] = [];
  for (let s = p; s !== '' && s !== '.'; s = dirname(s)) out.push(s);
  return out;
}

/**
 * The plan for writing `next` over `current` (undefined for an empty volume directory).
 * `now` and `suffix` name the new directory. Fails, as the writer does, on an invalid
 * path or a path that is both a file and a directory.
 */
export function planAtomicWrite(
  current: CurrentVolume | undefined,
  next: readonly VolumeFile[],
  now: Date,
  suffix: string,
): AtomicWriteResult {
  const payload = new Map<string, VolumeFile>();
  for (const f of next) {
    const problem = validatePath(f.path);
    if (problem) return { ok: false, error: problem };
    const path = cleanPath(f.path);
    payload.set(path, { ...f, path });
  }
  const directories = new Set<string>();
  for (const p of payload.keys()) for (const d of withParents(p).slice(1)) directories.add(d);
  for (const d of directories) {
    if (payload.has(d))
      return { ok: false, error: `invalid payload: ${d} is both a file and a directory` };
  }

  const oldPaths = new Set<string>();
  const oldContent = new Map<string, Buffer>();
  for (const f of current?.files ?? []) {
    const path = cleanPath(f.path);
    oldContent.set(path, f.content);
    for (const s of withParents(path)) oldPaths.add(s);
  }
  const newPaths = new Set<string>();
  for (const p of payload.keys()) for (const s of withParents(p)) newPaths.add(s);
  const removedPaths = [...oldPaths].filter((p) => !newPaths.has(p)).sort();

  // shouldWritePayload compares contents only (a mode change alone is not written).
  const contentChanged = [...payload.values()].some((f) => {
    const before = oldContent.get(f.path);
    return !before || !before.equals(f.content);
  });
  const oldTop = new Set([...oldPaths].filter((p) => !p.includes('/')));
  const newTop = [...newPaths].filter((p) => !p.includes('/')).sort();
  const upToDate = current !== undefined && !contentChanged && removedPaths.length === 0;

  const plan: AtomicWritePlan = {
    upToDate,
    newDataDir: upToDate ? current.dataDir : timestampDirName(now, suffix),
    directories: upToDate
      ? []
      : [...directories].sort(
          (a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1),
        ),
    files: upToDate ? [] : [...payload.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
    createLinks: upToDate ? [] : newTop.filter((n) => !oldTop.has(n)),
    removedPaths,
    removeLinks: removedPaths.filter((p) => !p.includes('/')),
    ...(current && !upToDate ? { removeDataDir: current.dataDir } : {}),
  };
  return { ok: true, plan };
}
