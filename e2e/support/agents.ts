import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startBuiltProcess } from './processes';

export interface AgentProcess {
  name: string;
  pid: number;
  output(): string;
  exitCode(): number | null;
  /** SIGKILL: the agent dies at once (its pods' processes keep running). */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop (pods keep running, to be re-adopted). */
  stop(): Promise<void>;
}

export interface AgentProcessOptions {
  apiUrl: string;
  bootstrapToken: string;
  nodeName: string;
  dataDir: string;
  runtime?: 'process' | 'simulated';
  nodeIP?: string;
  extraArgs?: string[];
  /** Started with this soft and hard RLIMIT_NOFILE (`ulimit -n`) instead of the test's. */
  openFileLimit?: number;
  /** Default: <tmp>/berth-e2e-pods. */
  podsDir?: string;
}

/** Starts the built node agent (`apps/agent/dist/main.js`) as a real process. */
export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const main = path.join(ROOT, 'apps/agent/dist/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const agent = await startBuiltProcess(
    main,
    [
      '--api-url',
      opts.apiUrl,
      '--node-name',
      opts.nodeName,
      '--node-ip',
      opts.nodeIP ?? '127.0.0.1',
      '--kubelet-port',
      '0',
      '--runtime',
      opts.runtime ?? 'process',
      '--data-dir',
      opts.dataDir,
      // As root, pods' directories must be reachable by their users: not under the 0700
      // data directory (each pod's own is <pods-dir>/<node>/<pod uid>).
      '--pods-dir',
      opts.podsDir ?? path.join(os.tmpdir(), 'berth-e2e-pods'),
      '--heartbeat-interval',
      '1000',
      '--cpu',
      '4',
      '--memory',
      '8Gi',
      ...(opts.extraArgs ?? []),
    ],
    // The bootstrap token in the environment, not on the command line that every process of
    // the host (pods included) can read in /proc.
    { BERTH_LOG_LEVEL: 'info', BERTH_BOOTSTRAP_TOKEN: opts.bootstrapToken },
    'node registered',
    `agent ${opts.nodeName}`,
    15_000,
    opts.openFileLimit === undefined
      ? []
      : ['/bin/sh', '-c', `ulimit -n ${opts.openFileLimit} && exec "$0" "$@"`],
  );
  return { name: opts.nodeName, ...agent };
}

/** Processes whose command line contains `marker`: pid → the command line. */
export function processesWith(marker: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(marker)) found.set(Number(entry), cmd);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Kills (SIGKILL) every process whose command line contains `marker`. */
export function killProcessesWith(marker: string): void {
  for (const pid of processesWith(marker).keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
