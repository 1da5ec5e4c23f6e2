/**
 * Scrapes and parses the Prometheus text format with a real parser
 * (parse-prometheus-text-format, prom2json's output shape), for tests of every process's
 * /metrics.
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

// The package ships no type declarations; its result is described above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = require('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** The families of a text-format exposition, by name. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  return new Map(parser(text).map((f) => [f.name, f]));
}

export interface Scrape {
  families: Map<string, MetricFamily>;
  /**
   * The value of the sample line `series{labels…}` (labels in any order, others allowed).
   * The parser merges the series of a labelled histogram into one, so a histogram's
   * `_count` per label set is read here.
   */
  value(series: string, labels?: Record<string, string>): number;
  text: string;
}

/** GETs `url` (a /metrics endpoint) and parses it; fails unless it is the text format. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain') || !type.includes('version=0.0.4'))
    throw new Error(`GET ${url}: content type ${type} is not the Prometheus text format`);
  const text = await res.text();
  const families = parsePrometheusText(text);
  const value = (series: string, labels: Record<string, string> = {}) => {
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!m || m[1] !== series) continue;
      const has = Object.entries(labels).every(([k, v]) => m[2]?.includes(`${k}="${v}"`));
      if (has) sum += Number(m[3]);
    }
    return sum;
  };
  return { families, value, text };
}

/**
 * The series names a family exposes: a histogram `x` is queried as `x_bucket`, `x_sum`
 * and `x_count`, a summary as `x`, `x_sum` and `x_count`.
 */
export function seriesNames(family: Pick<MetricFamily, 'name' | 'type'>): string[] {
  const { name, type } = family;
  if (type === 'HISTOGRAM') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'SUMMARY') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}
