import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestApiServer, type TestApiServer } from '../../../api/src/testing/test-api-server';
import { eventually } from '../../../worker/src/testing/test-cluster';
import { startAgent, type RunningAgent } from '../agent';
import { loadAgentConfig } from '../config';
import { agentLogger } from '../log';
import { OVER_BUDGET_REASON } from './service-proxy';

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

interface Svc {
  metadata: { name: string; uid: string };
  spec: { clusterIP: string; ports: Array<{ port: number }> };
}

interface Event {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; uid: string };
  source: { component: string; host: string };
}

/**
 * The node proxy's listener and connection budget with a real API server and PostgreSQL
 * and an in-process agent: whole Services in creation order, an Event for one left out,
 * served once it fits, and connections beyond the budget closed at once.
 */
describe('the node proxy within its budget (real API, PostgreSQL, agent)', () => {
  let s: TestApiServer;
  let agent: RunningAgent;
  let dataDir: string;
  const api = () => s.api();
  const NS = 'budget';
  const ports = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: from + i }));
  const createService = async (name: string, n: number, from: number): Promise<Svc> =>
    (
      await api()
        .post(`/api/v1/namespaces/${NS}/services`)
        .send({ metadata: { name }, spec: { ports: ports(n, from) } })
        .expect(201)
    ).body;
  /** Whether every port of `svc` is accepted (true), every one refused (false), or mixed. */
  const served = async (svc: Svc): Promise<boolean | 'mixed'> => {
    const answers = await Promise.all(
      svc.spec.ports.map((p) => accepts(svc.spec.clusterIP, p.port)),
    );
    if (answers.every(Boolean)) return true;
    if (answers.every((a) => !a)) return false;
    return 'mixed';
  };
  const eventsOf = async (name: string): Promise<Event[]> =>
    (
      await api()
        .get(`/api/v1/namespaces/${NS}/events`)
        .query({ fieldSelector: `involvedObject.name=${name}` })
        .expect(200)
    ).body.items;

  beforeAll(async () => {
    s = await startTestApiServer();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-proxy-budget-'));
    // The budget below is counted over this test's Services alone: the API's own
    // `kubernetes` Service in default (made at start) would take one listener.
    await api().delete('/api/v1/namespaces/default/services/kubernetes').expect(200);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
    const bootstrapToken = (await api().post('/auth/bootstrap-tokens').send({}).expect(201)).body
      .token;
    const config = {
      ...loadAgentConfig([], {}),
      apiUrl: s.server.httpUrl!,
      bootstrapToken,
      nodeName: 'node-b',
      dataDir,
      nodeIP: '127.0.0.1',
      kubeletPort: 0,
      runtime: 'simulated' as const,
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      heartbeatIntervalMs: 1000,
      logLevel: (process.env.BERTH_TEST_LOG as 'debug' | undefined) ?? ('warn' as const),
      proxy: true,
      proxyMaxListeners: 10,
      proxyMaxConnections: 2,
    };
    agent = startAgent(config, agentLogger(config));
  });

  afterAll(async () => {
    await agent?.stop();
    await s?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves whole Services oldest first, records an Event for one that does not fit, and serves it once it fits', async () => {
    // Names in creation order: Services created within one second are ordered by name.
    const a = await createService('a-first', 4, 7000);
    const b = await createService('b-second', 5, 7100);
    const c = await createService('c-third', 3, 7200);
    await eventually(async () => (await served(a)) === true, 'a-first served');
    await eventually(async () => (await served(b)) === true, 'b-second served');
    // 4 + 5 of 10 listeners are taken: c-third (3) is not served at all, not in part.
    const [event] = await eventually(async () => {
      const found = await eventsOf('c-third');
      return found.length > 0 ? found : undefined;
    }, 'an Event on c-third');
    expect(await served(c)).toBe(false);
    expect(event).toMatchObject({
      type: 'Warning',
      reason: OVER_BUDGET_REASON,
      involvedObject: { kind: 'Service', name: 'c-third', uid: c.metadata.uid },
      source: { component: 'kube-proxy', host: 'node-b' },
    });
    expect(event.message).toBe(
      'node "node-b" does not serve this Service: it needs 3 listeners and only 1 of the ' +
        "node proxy's 10 are free (older Services hold the rest); not served: 7200/TCP, " +
        '7201/TCP, 7202/TCP (whole Services are served, oldest first; the budget is the ' +
        "agent's --proxy-max-listeners, at most a quarter of its open-file limit)",
    );
    expect(await eventsOf('a-first')).toEqual([]);
    expect(agent.proxy!.stats()).toMatchObject({
      overBudget: [`${NS}/c-third`],
      listenersPlanned: 9,
      maxListeners: 10,
    });

    // a-first goes: c-third fits (5 + 3), and is served whole.
    await api().delete(`/api/v1/namespaces/${NS}/services/a-first`).expect(200);
    await eventually(async () => (await served(c)) === true, 'c-third served');
    expect(await served(b)).toBe(true);
    expect(agent.proxy!.stats().overBudget).toEqual([]);

    // One larger than the whole budget: refused, saying so.
    await createService('d-huge', 11, 7300);
    const [huge] = await eventually(async () => {
      const found = await eventsOf('d-huge');
      return found.length > 0 ? found : undefined;
    }, 'an Event on d-huge');
    expect(huge.message).toContain(
      "it needs 11 listeners, more than the node proxy's budget of 10; not served: 7300/TCP, 7301/TCP, 7302/TCP, 7303/TCP, 7304/TCP and 6 more",
    );
  });

  it('closes connections beyond its connection budget at once, and takes new ones when some close', async () => {
    // A backend that holds every connection open until the test ends it.
    const held: net.Socket[] = [];
    const backend = net.createServer((sock) => held.push(sock));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as net.AddressInfo).port;
    const svc = await createService('e-hold', 1, 7400);
    await api()
      .post(`/api/v1/namespaces/${NS}/endpoints`)
      .send({
        metadata: { name: 'e-hold' },
        subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'p0', port: backendPort }] }],
      })
      .expect(201);
    const address = `${svc.spec.clusterIP}:7400`;
    await eventually(
      async () => agent.proxy!.stats().listening.includes(address),
      `listening on ${address}`,
    );
    // The listener may be there before the endpoints: wait until a connection is forwarded.
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const sock = net.connect({ host: svc.spec.clusterIP, port: 7400 }, () => resolve(sock));
        sock.once('error', reject);
      });
    const closedByProxy = (sock: net.Socket): Promise<boolean> =>
      new Promise((resolve) => {
        if (sock.destroyed) return resolve(true);
        sock.once('close', () => resolve(true));
        sock.resume();
      });
    const first = await eventually(async () => {
      const sock = await open();
      const before = held.length;
      const forwarded = await eventually(
        async () => held.length > before,
        'the backend to get it',
        2000,
      ).catch(() => false);
      if (forwarded) return sock;
      sock.destroy();
      return undefined;
    }, 'a forwarded connection');
    const second = await open();
    await eventually(async () => held.length === 2, 'two connections at the backend');
    const overLimitBefore = agent.proxy!.stats().overLimit;
    const third = await open();
    expect(await closedByProxy(third)).toBe(true);
    expect(held).toHaveLength(2);
    expect(agent.proxy!.stats()).toMatchObject({
      activeConnections: 2,
      maxConnections: 2,
      overLimit: overLimitBefore + 1,
    });
    // One closes: a new one is taken.
    first.destroy();
    await eventually(
      async () => agent.proxy!.stats().activeConnections === 1,
      'the proxy to count one open connection',
    );
    const fourth = await open();
    await eventually(async () => held.length === 3, 'a third connection at the backend');
    for (const sock of [second, fourth, ...held]) sock.destroy();
    await new Promise((resolve) => backend.close(resolve));
  });
});
