import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scrape, type MetricFamily } from '../../api/src/testing/prometheus';
import { TEST_ADMIN_TOKEN } from '../../api/src/testing/test-api-server';
import {
  deployment,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../../worker/src/testing/test-cluster';
import { startAgent, type RunningAgent } from './agent';
import { loadAgentConfig } from './config';
import { agentLogger } from './log';

type Expected = Record<string, MetricFamily['type']>;

/** Every family in `expected` is there, with its type and a HELP text. */
function expectFamilies(families: Map<string, MetricFamily>, expected: Expected): void {
  for (const [name, type] of Object.entries(expected)) {
    const family = families.get(name);
    expect({ name, type: family?.type }).toEqual({ name, type });
    expect(family!.help.length).toBeGreaterThan(10);
  }
}

/** The sum of a counter's or gauge's samples that have `labels`, from the parsed families. */
const sample = (
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
) =>
  families
    .get(name)
    ?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((n, m) => n + Number(m.value ?? 0), 0) ?? 0;

describe('/metrics of the API, the worker and the agent (scraped and parsed)', () => {
  let c: TestCluster;
  let agent: RunningAgent;
  let dataDir: string;

  beforeAll(async () => {
    c = await startTestCluster(1, { metricsPort: 0 });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-agent-metrics-'));
    await c.api
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'm' } })
      .expect(201);
    const bootstrapToken = (await c.api.api().post('/auth/bootstrap-tokens').send({}).expect(201))
      .body.token as string;
    const config = {
      ...loadAgentConfig([], {}),
      apiUrl: c.api.server.httpUrl!,
      bootstrapToken,
      nodeName: 'metrics-node',
      dataDir,
      nodeIP: '127.0.0.1',
      kubeletPort: 0,
      metricsPort: 0,
      runtime: 'simulated' as const,
      heartbeatIntervalMs: 250,
      simulated: { startDelayMs: 20, failureRate: 0, restartRate: 0 },
      logLevel: 'warn' as const,
    };
    agent = startAgent(config, agentLogger(config));
    await agent.ready;
    await c.api.api().post('/apis/apps/v1/namespaces/m/deployments').send(deployment('web', 2));
    await eventually(
      async () => {
        const pods = (await c.api.api().get('/api/v1/namespaces/m/pods').expect(200)).body
          .items as Array<{ status?: { phase?: string } }>;
        return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running');
      },
      'two running pods',
      30_000,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await c?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the API server', async () => {
    const { families } = await scrape(`${c.api.server.httpUrl}/metrics`, {
      Authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
    });
    expectFamilies(families, {
      berth_apiserver_requests_total: 'COUNTER',
      berth_apiserver_request_duration_seconds: 'HISTOGRAM',
      berth_apiserver_longrunning_requests: 'GAUGE',
      berth_apiserver_audit_events_buffered: 'GAUGE',
      berth_apiserver_audit_events_written_total: 'COUNTER',
      berth_apiserver_process_cpu_seconds_total: 'COUNTER',
      berth_apiserver_process_resident_memory_bytes: 'GAUGE',
    });
    expect(
      sample(families, 'berth_apiserver_requests_total', {
        verb: 'CREATE',
        resource: 'deployments',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The agent's pod watch is open.
    expect(sample(families, 'berth_apiserver_longrunning_requests')).toBeGreaterThanOrEqual(1);
  });

  it('the worker', async () => {
    const { families } = await scrape(`${c.workers[0].metricsUrl}/metrics`);
    expectFamilies(families, {
      berth_controller_reconcile_duration_seconds: 'HISTOGRAM',
      berth_controller_reconcile_errors_total: 'COUNTER',
      berth_queue_jobs: 'GAUGE',
      berth_scheduler_binds_total: 'COUNTER',
      berth_scheduler_schedule_attempts_total: 'COUNTER',
      berth_scheduler_pod_scheduling_duration_seconds: 'HISTOGRAM',
      berth_worker_process_cpu_seconds_total: 'COUNTER',
    });
    expect(sample(families, 'berth_scheduler_binds_total')).toBeGreaterThanOrEqual(2);
  });

  it('the node agent', async () => {
    const { families, value } = await scrape(`${await agent.metricsUrl!}/metrics`);
    expectFamilies(families, {
      berth_agent_heartbeat_duration_seconds: 'HISTOGRAM',
      berth_agent_pod_starts_total: 'COUNTER',
      berth_agent_pods_running: 'GAUGE',
      berth_agent_container_restarts: 'GAUGE',
      berth_agent_proxy_connections: 'GAUGE',
      berth_agent_process_cpu_seconds_total: 'COUNTER',
      berth_agent_process_resident_memory_bytes: 'GAUGE',
    });
    const node = 'metrics-node';
    expect(sample(families, 'berth_agent_pods_running', { node, phase: 'Running' })).toBe(2);
    expect(sample(families, 'berth_agent_pod_starts_total', { node, result: 'started' })).toBe(2);
    expect(
      value('berth_agent_heartbeat_duration_seconds_count', { node, result: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(families, 'berth_agent_container_restarts', { node })).toBe(0);
  });
});
