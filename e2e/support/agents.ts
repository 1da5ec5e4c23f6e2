import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, waitFor } from './processes';

export interface AgentProcess {
  name: string;
  pid: number;
  output(): string;
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
}

/** Starts the built node agent (`apps/agent/dist/main.js`) as a real process. */
export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const main = path.join(ROOT, 'apps/agent/dist/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  let out = '';
  const child = spawn(
    process.execPath,
    [
      main,
      '--api-url',
      opts.apiUrl,
      '--bootstrap-token',
      opts.bootstrapToken,
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
      '--heartbeat-interval',
      '1000',
      '--cpu',
      '4',
      '--memory',
      '8Gi',
      ...(opts.extraArgs ?? []),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, BERTH_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  await waitFor(() => {
    if (exited) throw new Error(`agent ${opts.nodeName} exited early:\n${out}`);
    return out.includes('node registered');
  }, `agent ${opts.nodeName} to register`).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${out}`);
  });
  return {
    name: opts.nodeName,
    pid: child.pid!,
    output: () => out,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await gone;
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(timer);
      }
    },
  };
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
