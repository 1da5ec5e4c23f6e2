/**
 * Graceful shutdown and one log vocabulary (issue 19, "Operations"), with real processes:
 * the built API server, a worker and an agent. On SIGTERM the API answers /readyz 503 while
 * still serving (BERTH_SHUTDOWN_DELAY_MS), a request in flight then completes, an open watch
 * ends with a clean close, and the process exits 0; the worker and the agent exit 0 too and
 * say so. Every stdout line of the three is JSON with the keys createLogger writes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startAgentProcess, type AgentProcess } from './support/agents';
import {
  adminRequests,
  ROOT,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';

jest.setTimeout(180_000);

const DELAY_MS = 4000;
const TIMEOUT_MS = 20_000;

/**
 * The core keys of a JSON line, read from createLogger's source (the object formatLine
 * writes first), not from any process's output.
 */
function coreKeys(): string[] {
  const src = readFileSync(path.join(ROOT, 'libs/config/src/log.ts'), 'utf8');
  const literal = /JSON\.stringify\(\s*\{([^}]*?)\.\.\.fields/.exec(src);
  if (!literal) throw new Error('cannot find the JSON line literal in libs/config/src/log.ts');
  return literal[1]
    .split(',')
    .map((part) => part.split(':')[0].trim())
    .filter((k) => k !== '');
}

describe('graceful shutdown of API, worker and agent (real processes)', () => {
  let api: ApiProcess;
  let worker: WorkerProcess;
  let agent: AgentProcess;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-shutdown-'));
    api = await startApiProcess({
      env: {
        BERTH_SHUTDOWN_DELAY_MS: String(DELAY_MS),
        BERTH_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
        BERTH_LOG_LEVEL: 'info',
      },
    });
    worker = await startWorkerProcess(api.db.url, api.queuePrefix, 'w-shutdown');
    const bootstrapToken = (await adminRequests(api).ok('POST', '/auth/bootstrap-tokens', {}))
      .token as string;
    agent = await startAgentProcess({
      apiUrl: api.httpUrl,
      bootstrapToken,
      nodeName: 'node-shutdown',
      dataDir: path.join(workDir, 'node-shutdown'),
      runtime: 'simulated',
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await worker?.stop();
    await api?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('API: /readyz 503 first, the in-flight request completes, the watch closes cleanly, exit 0', async () => {
    // The watch: a streaming GET whose end we observe as 'end' or as an error.
    let watchOpen = false;
    const watch = new Promise<{ status: number; how: string }>((resolve) => {
      const req = http.get(
        `${api.httpUrl}/api/v1/namespaces/default/configmaps?watch=1`,
        { headers: { authorization: `Bearer ${api.token}` } },
        (res) => {
          watchOpen = true;
          res.on('data', () => undefined);
          res.once('end', () => resolve({ status: res.statusCode ?? 0, how: 'end' }));
          res.once('aborted', () => resolve({ status: res.statusCode ?? 0, how: 'aborted' }));
          res.once('error', (e) => resolve({ status: res.statusCode ?? 0, how: `error ${e}` }));
        },
      );
      req.once('error', (e) => resolve({ status: 0, how: `request error ${e}` }));
    });
    // The watch is open (the API has answered its headers) before the signal.
    await waitFor(() => watchOpen, 'the watch to be open', 10_000);

    // The in-flight request: a create whose body is half sent when the signal comes.
    const body = JSON.stringify({ metadata: { name: 'in-flight' }, data: { k: 'v' } });
    const half = Math.floor(body.length / 2);
    let inFlightStatus = 0;
    const inFlightReq = http.request(`${api.httpUrl}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    const inFlight = new Promise<{ status: number; kind?: string }>((resolve, reject) => {
      inFlightReq.once('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.once('end', () => {
          inFlightStatus = res.statusCode ?? 0;
          resolve({ status: inFlightStatus, kind: (JSON.parse(text) as { kind?: string }).kind });
        });
      });
      inFlightReq.once('error', reject);
    });
    inFlightReq.write(body.slice(0, half));
    inFlightReq.flushHeaders();

    const pid = api.pid()!;
    const signalledAt = Date.now();
    process.kill(pid, 'SIGTERM');

    // /readyz turns 503 while the listener still answers.
    let notReady = 0;
    await waitFor(
      async () => {
        notReady = (await fetch(`${api.httpUrl}/readyz`)).status;
        return notReady === 503;
      },
      '/readyz to answer 503',
      DELAY_MS,
      50,
    );
    expect(notReady).toBe(503);

    // The request in flight at the signal is finished and served in full.
    expect(inFlightStatus).toBe(0);
    inFlightReq.end(body.slice(half));
    expect(await inFlight).toEqual({ status: 201, kind: 'ConfigMap' });

    // The watch ends with a clean close, and the process exits 0 within its timeout.
    expect(await watch).toEqual({ status: 200, how: 'end' });
    await waitFor(() => api.pid() === undefined, 'the API to exit', TIMEOUT_MS + 5000, 100);
    expect(api.exitCode()).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(TIMEOUT_MS + 5000);
  });

  it('worker and agent exit 0 on SIGTERM within their timeouts and say so', async () => {
    const workerStart = Date.now();
    process.kill(worker.pid, 'SIGTERM');
    await waitFor(() => worker.exitCode() !== null, 'the worker to exit', 12_000);
    expect(worker.exitCode()).toBe(0);
    expect(Date.now() - workerStart).toBeLessThan(12_000);
    const agentStart = Date.now();
    process.kill(agent.pid, 'SIGTERM');
    await waitFor(() => agent.exitCode() !== null, 'the agent to exit', 11_000);
    expect(agent.exitCode()).toBe(0);
    expect(Date.now() - agentStart).toBeLessThan(11_000);
    const msgs = (out: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string });
    expect(msgs(worker.output()).map((l) => l.msg)).toContain('worker stopped');
    expect(msgs(agent.output()).map((l) => l.msg)).toContain('shutting down');
  });

  it('every stdout line of the three processes is JSON with the same core keys', () => {
    const keys = coreKeys();
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const [name, out] of [
      ['api', api.output()],
      ['worker', worker.output()],
      ['agent', agent.output()],
    ] as const) {
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`${name} wrote a line that is not JSON: ${line}`);
        }
        for (const k of keys)
          expect({ name, line, has: k in parsed }).toEqual({ name, line, has: true });
      }
    }
  });
});
