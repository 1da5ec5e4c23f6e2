/**
 * Container logs of the process runtime.
 *
 * A container's stdout and stderr are both the same file descriptor, opened in append mode
 * on `<dir>/<instance>.log`: the child writes there directly, so its output keeps being
 * captured while the agent is down, and no pipe to the agent can fill up or break. The
 * files hold the program's output as written (no CRI prefix); line times are kept beside
 * them in `<file>.idx`, one `<byte offset> <epoch ms>` line per observation: the bytes
 * before that offset (and after the previous entry's) had been written by then. The runtime
 * observes each running container's file every {@link LOG_TICK_MS}; what was written
 * while no runtime watched gets the file's modification time.
 *
 * Rotation is logrotate's copytruncate (the child's descriptor cannot be swapped): past
 * `maxBytes` the file is copied to `.1` (older copies shift to `.2`… up to `keep`) and
 * truncated; output written between the copy and the truncation is lost (a window of
 * microseconds, checked once more before truncating).
 */
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';

/** How often the runtime observes running containers' log files. */
export const LOG_TICK_MS = 200;

export interface LogLine {
  ms: number;
  text: string;
}

interface Follower {
  stream: PassThrough;
  timestamps: boolean;
  /** Bytes of the current file already sent (up to the last complete line). */
  offset: number;
  /** The rotation generation `offset` refers to. */
  generation: number;
}

/** Kubernetes' RFC 3339 timestamp with nanoseconds (fixed width, as CRI log files have). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000000Z');
}

export function formatLine(l: LogLine, timestamps: boolean): string {
  return timestamps ? `${rfc3339Nano(l.ms)} ${l.text}\n` : `${l.text}\n`;
}

export class InstanceLog {
  readonly file: string;
  private indexed: number;
  private generation = 0;
  private readonly followers = new Set<Follower>();

  constructor(
    dir: string,
    readonly instance: number,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.file = path.join(dir, `${instance}.log`);
    const entries = readIndex(`${this.file}.idx`);
    this.indexed = entries.length ? entries[entries.length - 1].offset : 0;
  }

  /** A descriptor for the child's stdout and stderr (the caller closes its copy). */
  openForChild(): number {
    return openSync(this.file, 'a');
  }

  /**
   * Records when the bytes written since the last tick appeared, sends complete new lines
   * to followers and rotates the file when it passed `maxBytes`.
   */
  tick(): void {
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = statSync(this.file));
    } catch {
      return;
    }
    if (size < this.indexed) this.indexed = 0; // truncated by someone else
    if (size > this.indexed) {
      appendFileSync(`${this.file}.idx`, `${size} ${Math.round(mtimeMs)}\n`);
      this.indexed = size;
    }
    if (size > this.maxBytes) this.rotate();
    for (const f of this.followers) this.feed(f, mtimeMs, false);
  }

  /** Every line of this instance (rotated files first), with its time. */
  /**
   * The lines of this instance (rotated files first), with their times; with `tail`, only
   * the last `tail` lines, read from the end of the files.
   */
  read(includePartial: boolean, tail?: number): { lines: LogLine[]; completeBytes: number } {
    const current = readLines(this.file, includePartial, tail);
    const parts = [current.lines];
    let count = current.lines.length;
    for (let k = 1; k <= this.keep && (tail === undefined || count < tail); k++) {
      const f = `${this.file}.${k}`;
      if (!existsSync(f)) break;
      const older = readLines(f, true, tail === undefined ? undefined : tail - count).lines;
      parts.unshift(older);
      count += older.length;
    }
    const lines = parts.flat();
    return {
      lines: tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail)),
      completeBytes: current.completeBytes,
    };
  }

  /** Streams the lines written after `offset` (bytes of the current file) to `stream`. */
  follow(stream: PassThrough, timestamps: boolean, offset: number): void {
    const f: Follower = { stream, timestamps, offset, generation: this.generation };
    this.followers.add(f);
    stream.on('close', () => this.followers.delete(f));
  }

  /** The instance ended: sends what is left (a last line without newline too), ends followers. */
  finish(): void {
    this.tick();
    for (const f of this.followers) {
      this.feed(f, Date.now(), true);
      f.stream.end();
    }
    this.followers.clear();
  }

  /** Ends followers without sending anything more (the runtime closes). */
  detach(): void {
    for (const f of this.followers) f.stream.end();
    this.followers.clear();
  }

  private feed(f: Follower, ms: number, flush: boolean): void {
    let chunk: Buffer = Buffer.alloc(0);
    if (f.generation !== this.generation) {
      // Rotated since: the rest of what was sent is in `.1` (if rotated only once).
      if (this.generation - f.generation === 1)
        chunk = readFrom(`${this.file}.1`, f.offset) ?? chunk;
      f.offset = 0;
      f.generation = this.generation;
    }
    const fresh = readFrom(this.file, f.offset) ?? Buffer.alloc(0);
    const all = Buffer.concat([chunk, fresh]);
    const end = flush ? all.length : all.lastIndexOf(10) + 1;
    if (end <= 0) return;
    f.offset += end - chunk.length;
    const text = all.toString('utf8', 0, end).replace(/\n$/, '');
    for (const line of text.split('\n'))
      f.stream.write(formatLine({ ms, text: line }, f.timestamps));
  }

  private rotate(): void {
    const name = (k: number) => `${this.file}.${k}`;
    if (this.keep > 0) {
      rmSync(name(this.keep), { force: true });
      rmSync(`${name(this.keep)}.idx`, { force: true });
      for (let k = this.keep - 1; k >= 1; k--) {
        if (existsSync(name(k))) renameSync(name(k), name(k + 1));
        if (existsSync(`${name(k)}.idx`)) renameSync(`${name(k)}.idx`, `${name(k + 1)}.idx`);
      }
      copyFileSync(this.file, name(1));
      const copied = statSync(name(1)).size;
      const late = readFrom(this.file, copied);
      if (late?.length) {
        appendFileSync(name(1), late);
        appendFileSync(`${this.file}.idx`, `${copied + late.length} ${Date.now()}\n`);
      }
      if (existsSync(`${this.file}.idx`)) renameSync(`${this.file}.idx`, `${name(1)}.idx`);
    } else {
      rmSync(`${this.file}.idx`, { force: true });
    }
    truncateSync(this.file, 0);
    this.indexed = 0;
    this.generation += 1;
  }
}

/** Removes the log files of every instance of a container but those in `keep`. */
export function removeInstanceLogs(dir: string, keep: number[], files: string[]): void {
  for (const f of files) {
    const m = /^(\d+)\.log/.exec(f);
    if (m && !keep.includes(Number(m[1]))) rmSync(path.join(dir, f), { force: true });
  }
}

function readIndex(file: string): Array<{ offset: number; ms: number }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ offset: number; ms: number }> = [];
  for (const l of text.split('\n')) {
    const [a, b] = l.split(' ');
    if (a && b) out.push({ offset: Number(a), ms: Number(b) });
  }
  return out;
}

function readFrom(file: string, offset: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's lines with their times. With `tail`, only the end of the file is read: chunks
 * growing from 64 KiB until they hold more than `tail` lines.
 */
function readLines(
  file: string,
  includePartial: boolean,
  tail?: number,
): { lines: LogLine[]; completeBytes: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { lines: [], completeBytes: 0 };
  }
  let buf: Buffer;
  let base: number;
  try {
    const size = fstatSync(fd).size;
    let chunk = 64 * 1024;
    for (;;) {
      base = tail === undefined ? 0 : Math.max(0, size - chunk);
      buf = Buffer.alloc(size - base);
      buf = buf.subarray(0, readSync(fd, buf, 0, buf.length, base));
      if (base === 0 || countNewlines(buf) > tail!) break;
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
  const index = readIndex(`${file}.idx`);
  const now = Date.now();
  const lines: LogLine[] = [];
  let j = 0;
  // Read from the middle of the file: the first (cut) line is left out.
  let start = base === 0 ? 0 : buf.indexOf(10) + 1;
  let completeBytes = base + start;
  while (start < buf.length) {
    const nl = buf.indexOf(10, start);
    if (nl === -1 && !includePartial) break;
    const end = nl === -1 ? buf.length : nl;
    while (j < index.length && index[j].offset <= base + start) j++;
    lines.push({
      ms: j < index.length ? index[j].ms : now,
      text: buf.toString('utf8', start, end),
    });
    start = end + 1;
    if (nl !== -1) completeBytes = base + start;
  }
  return {
    lines: tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail)),
    completeBytes,
  };
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * A container instance's log as `logs` serves it: tail, since and timestamps, and, when
 * `live` (the instance runs) and `follow`, the lines it writes until it ends.
 */
export function logStream(
  log: InstanceLog,
  live: boolean,
  opts: { follow?: boolean; tailLines?: number; sinceSeconds?: number; timestamps?: boolean },
): PassThrough {
  if (live) log.tick();
  const following = !!opts.follow && live;
  // Line times never decrease, so the lines since a time are a suffix: tail first is
  // the same as since first (and reads only the end of the files).
  const read = log.read(!following, opts.tailLines);
  let lines = read.lines;
  if (opts.sinceSeconds !== undefined) {
    const since = Date.now() - opts.sinceSeconds * 1000;
    lines = lines.filter((l) => l.ms >= since);
  }
  const stream = new PassThrough();
  for (const l of lines) stream.write(formatLine(l, !!opts.timestamps));
  if (following) log.follow(stream, !!opts.timestamps, read.completeBytes);
  else stream.end();
  return stream;
}
