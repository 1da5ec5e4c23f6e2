/**
 * The process runtime specs' fixture: a fresh data directory and command-line marker per
 * test, runtimes made with small back-offs and closed (pods stopped) after each test, and
 * no process of the test left behind.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerSpec, PodSpecForRuntime, PodStatusReport } from '../../types';
import type { ProcessRuntimeOptions } from '../model';
import { ProcessRuntime } from '../process-runtime';

/** Waits until `fn` returns a truthy value (a deadline, never a fixed sleep). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 8000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Live processes whose command line holds `marker` (zombies have none): the orphan check. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export async function read(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

export function get(port: number, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A container running `script` with node; `marker` lands in its command line. */
export function nodeContainer(
  name: string,
  script: string,
  marker: string,
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return { name, image: 'node:20', command: [process.execPath, '-e', script, marker], ...extra };
}

/** Reads a counter file in the working directory, increments it, returns the new value. */
export const COUNT = `const fs=require('fs');const n=(fs.existsSync('count')?Number(fs.readFileSync('count','utf8')):0)+1;fs.writeFileSync('count',String(n));`;

export const SERVER = `require('http').createServer((q,s)=>s.end(JSON.stringify({env:process.env,argv:process.argv.slice(1)}))).listen(process.env.PORT);`;

export const container = (s: PodStatusReport | undefined, name = 'app') =>
  s?.containerStatuses.find((c) => c.name === name);

export const pidOf = (s: PodStatusReport | undefined, name = 'app') =>
  Number(container(s, name)?.containerID?.replace('process://', ''));

/** Registers the per-test set-up and clean-up; `dir` and `marker` are the current test's. */
export function processRuntimeFixture() {
  const f = { dir: '', marker: '' };
  const runtimes: ProcessRuntime[] = [];
  const messages: string[] = [];
  const log = {
    error: (m: string) => messages.push(m),
    warn: (m: string) => messages.push(m),
    info: (m: string) => messages.push(m),
    debug: () => undefined,
  };

  const make = (opts: Partial<ProcessRuntimeOptions> = {}) => {
    const rt = new ProcessRuntime({
      dataDir: path.join(f.dir, 'node'),
      nodeIP: '127.0.0.1',
      log,
      initialBackoffMs: 200,
      maxBackoffMs: 1600,
      memoryCheckIntervalMs: 100,
      ...opts,
    });
    runtimes.push(rt);
    return rt;
  };

  const pod = (
    name: string,
    containers: ContainerSpec[],
    extra: Partial<PodSpecForRuntime> = {},
  ): PodSpecForRuntime => ({
    uid: `${name}-${randomUUID()}`,
    namespace: 'ns',
    name,
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 5,
    ...extra,
  });

  const until = (
    rt: ProcessRuntime,
    uid: string,
    check: (s: PodStatusReport) => boolean,
    timeoutMs = 8000,
  ) =>
    waitFor(
      () => {
        const s = rt.podStatus(uid);
        return s && check(s) ? s : undefined;
      },
      timeoutMs,
      `pod ${uid}: ${check.toString()}; status ${JSON.stringify(rt.podStatus(uid))}`,
    );

  beforeEach(() => {
    f.dir = mkdtempSync(path.join(os.tmpdir(), 'berth-process-runtime-'));
    f.marker = `berth-spec-${randomUUID()}`;
    messages.length = 0;
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close({ stopPods: true })));
    // Whatever a test left (a runtime it closed without stopping) must not outlive it.
    for (const pid of processesWith(f.marker)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone, or not a group leader
        }
      }
    }
    rmSync(f.dir, { recursive: true, force: true });
  });
  return Object.assign(f, { make, pod, until, messages });
}
