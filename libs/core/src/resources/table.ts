/**
 * Helpers for server-side `Table` printing, matching what `kubectl get` shows.
 */
import type { KubeObject } from '../api/types';
import type { TableColumn } from './definition';
import { arr, obj, str } from './util';

/**
 * Kubernetes' `duration.HumanDuration`: a short, rounded-down age (`5s`, `3m20s`, `5h`,
 * `2d3h`, `45d`, `3y45d`). Slightly negative durations (clock skew) print as `0s`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24);
    const dy = days % 365;
    return dy === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Age of a timestamp relative to `now`; `<unknown>` when missing or unparseable. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** The AGE cell of an object. */
export function age(o: KubeObject, now: Date): string {
  return since(obj(o.metadata).creationTimestamp, now);
}

export function name(o: KubeObject): string {
  return str(obj(o.metadata).name);
}

/** `s`, or `<none>` when empty. */
export function orNone(s: string): string {
  return s === '' ? '<none>' : s;
}

/** Kubernetes' `labels.FormatLabels`: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(obj(labels))
    .filter(([, v]) => typeof v === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return orNone(entries.map(([k, v]) => `${k}=${String(v)}`).join(','));
}

/** The CONTAINERS and IMAGES cells of a workload (comma-joined). */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = arr(obj(podSpec).containers).map(obj);
  return [
    containers.map((c) => str(c.name)).join(','),
    containers.map((c) => str(c.image)).join(','),
  ];
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** A column definition; `wide` columns have priority 1. */
export function column(
  name: string,
  description: string,
  opts: { type?: TableColumn['type']; wide?: boolean; format?: string } = {},
): TableColumn {
  return {
    name,
    type: opts.type ?? 'string',
    format: opts.format ?? '',
    description,
    priority: opts.wide ? 1 : 0,
  };
}

export const nameColumn = (): TableColumn => column('Name', NAME_DESCRIPTION, { format: 'name' });
export const ageColumn = (): TableColumn => column('Age', AGE_DESCRIPTION);
