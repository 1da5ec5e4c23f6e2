// The Grafana dashboard in docs/grafana queries only series that Berth's processes expose:
// every PromQL expression is parsed with Prometheus' own grammar (lezer-promql) and each
// metric it selects is looked up in the expositions of the API's, worker's and agent's
// registries (parsed with a text-format parser).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { AgentMetrics } from '../apps/agent/src/metrics';
import { MetricsService } from '../apps/api/src/metrics/metrics.service';
import { parsePrometheusText, seriesNames } from '../apps/api/src/testing/prometheus';
import { WorkerMetrics } from '../apps/worker/src/metrics/worker-metrics';

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'docs', 'grafana', 'berth-dashboard.json'), 'utf8'),
) as { schemaVersion: number; panels: Panel[]; uid: string };

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const queries = panels(dashboard.panels).flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

/** The metric names an expression selects; throws on a syntax error. */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) throw new Error(`syntax error at ${cursor.from}: ${expr}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector')
      names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

async function exposedSeries(): Promise<Set<string>> {
  const registries = [
    new MetricsService().registry,
    new WorkerMetrics().registry,
    new AgentMetrics().registry,
  ];
  const names = new Set<string>();
  for (const r of registries)
    for (const family of parsePrometheusText(await r.metrics()).values())
      for (const s of seriesNames(family)) names.add(s);
  return names;
}

describe('docs/grafana/berth-dashboard.json', () => {
  it('is a Grafana dashboard with panels for the API, the worker and the agents', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('berth-overview');
    const selected = queries.flatMap((q) => selectedMetrics(q.expr));
    for (const prefix of [
      'berth_apiserver_',
      'berth_controller_',
      'berth_scheduler_',
      'berth_agent_',
    ])
      expect(selected.some((n) => n.startsWith(prefix))).toBe(true);
  });

  it('queries only metrics the processes expose', async () => {
    const exposed = await exposedSeries();
    // A name the test itself knows is wrong is caught (the check can fail).
    expect(exposed.has('berth_apiserver_requests_total')).toBe(true);
    expect(exposed.has('berth_apiserver_request_duration_seconds')).toBe(false);
    const unknown = queries.flatMap((q) =>
      selectedMetrics(q.expr)
        .filter((n) => !exposed.has(n))
        .map((n) => `${q.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    expect(queries.length).toBeGreaterThan(15);
  });

  it('rejects an expression that does not parse', () => {
    expect(() => selectedMetrics('sum(rate(berth_apiserver_requests_total[5m])')).toThrow(/syntax/);
  });
});
