/**
 * A developer cannot take a node NotReady through the node proxy (issue 18, item 2), with
 * real processes: the built API server, a worker (node lifecycle with a short grace
 * period) and an agent started with a low open-file limit (`ulimit -n 1024`, so its
 * proxy budget is 256 listeners). A Service with 20,000 ports is refused; twenty Services
 * of 100 ports (2,000 listeners, within the per-Service limit) are served only in part, an
 * Event on each one left out says so, and the node stays Ready: its Lease keeps being
 * renewed and its Ready condition stays True the whole time.
 *
 * Before the fix the 20,000 ports were accepted, and the same agent tried to listen on all
 * 2,000 ports, ran out of descriptors (EMFILE), stopped renewing its Lease and went
 * Ready=Unknown within the grace period.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAgentProcess, type AgentProcess } from './support/agents';
import {
  adminRequests,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type JsonBody,
  type WorkerProcess,
} from './support/processes';

jest.setTimeout(240_000);

const NS = 'dev-space';
const NODE = 'node-fd';
/**
 * Just over the API server's keep-alive timeout (Node's default, 5 s): as with the default
 * 10 s, every renewal needs a new connection, hence a free descriptor.
 */
const HEARTBEAT_MS = 6000;
const GRACE_MS = 15_000;
const OPEN_FILE_LIMIT = 1024;
const SERVICES = 20;
const PORTS = 100;

/** Whether a TCP connection to host:port is accepted (true) or refused (false). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve(false) : reject(err),
    );
  });
}

const ports = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: from + i, protocol: 'TCP' }));

describe('a Service cannot take its node NotReady (API, worker, agent as processes)', () => {
  let api: ApiProcess;
  let worker: WorkerProcess;
  let agent: AgentProcess;
  let workDir: string;
  let devToken: string;
  const admin = () => adminRequests(api);

  /** A request as the developer: status and JSON body. */
  const asDev = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api.httpUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${devToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as JsonBody };
  };
  const lease = async () =>
    (
      await admin().ok(
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`,
      )
    ).spec.renewTime as string;
  const ready = async () =>
    (
      (await admin().ok('GET', `/api/v1/nodes/${NODE}`)).status.conditions as Array<{
        type: string;
        status: string;
      }>
    ).find((c) => c.type === 'Ready')?.status;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-node-ready-'));
    api = await startApiProcess();
    worker = await startWorkerProcess(api.db.url, `berth-e2e-${path.basename(workDir)}`, 'w-1', {
      BERTH_NODE_GRACE_PERIOD_MS: String(GRACE_MS),
      BERTH_NODE_MONITOR_PERIOD_MS: '1000',
    });
    const { ok } = admin();
    await ok('POST', '/auth/users', { username: 'dev', password: 'developer-password-1' });
    await ok('POST', '/apis/tenancy.berth.dev/v1/tenants', {
      metadata: { name: 'team-dev' },
      spec: { namespaceLimit: 2, members: [{ user: 'dev', role: 'developer' }] },
    });
    await ok('POST', '/api/v1/namespaces', {
      metadata: { name: NS, labels: { 'tenancy.berth.dev/tenant': 'team-dev' } },
    });
    devToken = (
      await ok('POST', '/auth/login', { username: 'dev', password: 'developer-password-1' })
    ).token as string;
    const bootstrapToken = (await ok('POST', '/auth/bootstrap-tokens', {})).token as string;
    agent = await startAgentProcess({
      apiUrl: api.httpUrl,
      bootstrapToken,
      nodeName: NODE,
      dataDir: path.join(workDir, NODE),
      runtime: 'simulated',
      openFileLimit: OPEN_FILE_LIMIT,
      extraArgs: ['--heartbeat-interval', String(HEARTBEAT_MS)],
    });
    await waitFor(async () => (await ready()) === 'True', 'the node to be Ready', 30_000, 250);
    // The node turns Ready at registration, before its agent's first Lease renewal is written.
    await waitFor(async () => Boolean(await lease()), "the node's Lease", 30_000, 250);
  });

  afterAll(async () => {
    await agent?.stop();
    await worker?.stop();
    await api?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a Service with 20,000 ports with 422 and writes nothing', async () => {
    const res = await asDev('POST', `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: 'huge' },
      spec: { ports: ports(20_000) },
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message:
        'Service "huge" is invalid: spec.ports: Too many: 20000: must have at most 100 ports',
      details: {
        causes: [
          {
            reason: 'FieldValueTooMany',
            field: 'spec.ports',
            message: 'Too many: 20000: must have at most 100 ports',
          },
        ],
      },
    });
    expect((await asDev('GET', `/api/v1/namespaces/${NS}/services/huge`)).status).toBe(404);
  });

  it('serves only what fits of 2,000 listeners, says so in Events, and the node stays Ready', async () => {
    // The agent's budget: a quarter of its open-file limit (see apps/agent/src/proxy/fd-budget.ts).
    const budget = OPEN_FILE_LIMIT / 4;
    // The API's own `kubernetes` Service in default (one port, the oldest) is served first.
    const own = 1;
    const served = Math.floor((budget - own) / PORTS);
    const created: Array<{ name: string; clusterIP: string; uid: string }> = [];
    for (let i = 0; i < SERVICES; i++) {
      // Names in creation order: Services created within one second are ordered by name.
      const name = `svc-${String(i).padStart(2, '0')}`;
      const res = await asDev('POST', `/api/v1/namespaces/${NS}/services`, {
        metadata: { name },
        spec: { ports: ports(PORTS, 10_000) },
      });
      expect(res.status).toBe(201);
      created.push({ name, clusterIP: res.json.spec.clusterIP, uid: res.json.metadata.uid });
    }
    const allPorts = async (svc: { clusterIP: string }) =>
      Promise.all(ports(PORTS, 10_000).map((p) => accepts(svc.clusterIP, p.port)));
    const leftOut = created.slice(served);

    // The Lease and the Ready condition, watched from now until the end of the test.
    const renewals = [await lease()];
    const readiness: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [renewTime, status] = await Promise.all([lease(), ready()]);
        if (renewTime !== renewals[renewals.length - 1]) renewals.push(renewTime);
        readiness.push(status ?? 'missing');
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    try {
      // Each left-out Service gets a Warning Event from the node's proxy, read by the developer.
      await waitFor(
        async () => {
          const res = await asDev(
            'GET',
            `/api/v1/namespaces/${NS}/events?fieldSelector=reason=ProxyListenerBudgetExceeded`,
          );
          const names = new Set(
            (res.json.items as Array<{ involvedObject: { name: string } }>).map(
              (e) => e.involvedObject.name,
            ),
          );
          return leftOut.every((s) => names.has(s.name));
        },
        'an Event on every Service left out',
        60_000,
        500,
      );
      const events = (
        await asDev(
          'GET',
          `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=${created[SERVICES - 1].name}`,
        )
      ).json.items as JsonBody[];
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'Warning',
        reason: 'ProxyListenerBudgetExceeded',
        involvedObject: {
          kind: 'Service',
          name: created[SERVICES - 1].name,
          uid: created[SERVICES - 1].uid,
        },
        source: { component: 'kube-proxy', host: NODE },
      });
      expect(events[0].message).toContain(
        `node "${NODE}" does not serve this Service: it needs ${PORTS} listeners and only ${budget - own - served * PORTS} of the node proxy's ${budget} are free`,
      );
      expect(events[0].message).toContain('not served: 10000/TCP, 10001/TCP');

      // The oldest Services are served whole, the others not at all.
      for (const svc of created.slice(0, served))
        await waitFor(
          async () => (await allPorts(svc)).every(Boolean),
          `${svc.name} served`,
          30_000,
          250,
        );
      for (const svc of leftOut) expect((await allPorts(svc)).some(Boolean)).toBe(false);

      // The node keeps heartbeating: several renewals over a few intervals, always Ready.
      await waitFor(() => renewals.length >= 4, 'three more Lease renewals', 8 * HEARTBEAT_MS, 250);
    } finally {
      watching = false;
      await watcher;
    }
    const times = renewals.map((t) => Date.parse(t));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    expect(readiness.length).toBeGreaterThan(0);
    expect(readiness.filter((s) => s !== 'True')).toEqual([]);
    expect(agent.output()).not.toMatch(/EMFILE|ENFILE/);
  });
});
