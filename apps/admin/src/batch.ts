// What the Job, CronJob and DaemonSet pages show, decided by @berth/core where it already
// decides it (kubectl's table cells, the cron schedule, where a daemon pod should run), and
// the Job that "Run now" creates (what `kubectl create job --from=cronjob/x` sends).
import type { KubeObject as CoreObject } from '@berth/core/api/types';
import { nextScheduleTime } from '@berth/core/controllers/cronjob';
import {
  daemonPodNode,
  daemonPodTolerations,
  daemonSetHash,
  nodeShouldRunDaemonPod,
  CONTROLLER_REVISION_HASH_LABEL,
} from '@berth/core/controllers/daemon-set';
import { randomNameSuffix } from '@berth/core/controllers/util';
import type { ResourceDefinition } from '@berth/core/resources/definition';
import { jobStatusText } from '@berth/core/resources/job';
import {
  compilePodNodeAffinity,
  matchesRequiredAffinity,
} from '@berth/core/scheduling/node-affinity';
import { nodeTaints, toleratesTaint } from '@berth/core/scheduling/taints';
import type { KubeObject, Obj } from './api';

/** A row of `kubectl get <kind>` as core prints it, by column name (`Completions`, `Duration`). */
export function tableCells(
  def: Pick<ResourceDefinition, 'table'>,
  o: KubeObject,
  now = new Date(),
): Record<string, string> {
  const row = def.table.row(o as CoreObject, now);
  return Object.fromEntries(def.table.columns.map((c, i) => [c.name, String(row[i] ?? '')]));
}

export interface JobState {
  label: 'Running' | 'Complete' | 'Failed' | 'FailureTarget' | 'Suspended';
  color: 'success' | 'error' | 'default' | 'info' | 'warning';
  /** The condition's reason and message (e.g. `BackoffLimitExceeded: Job has reached…`). */
  reason?: string;
}

const JOB_COLORS: Record<JobState['label'], JobState['color']> = {
  Running: 'info',
  Complete: 'success',
  Failed: 'error',
  FailureTarget: 'error',
  Suspended: 'default',
};

/** kubectl's STATUS of a Job, with the reason of the condition behind it. */
export function jobState(job: KubeObject): JobState {
  const label = jobStatusText(job as CoreObject) as JobState['label'];
  const conditions = (job.status?.conditions ?? []) as Array<Record<string, string>>;
  const c = conditions.find((x) => x.type === label && x.status === 'True');
  const reason = c ? [c.reason, c.message].filter(Boolean).join(': ') : undefined;
  return { label, color: JOB_COLORS[label] ?? 'default', reason: reason || undefined };
}

/** The exit codes of a pod's containers that ended (`main: 0`), for a Job's pod table. */
export function exitCodes(pod: KubeObject): string {
  const statuses = (pod.status?.containerStatuses ?? []) as Obj[];
  const ended = statuses
    .map((s) => ({ name: s.name as string, t: s.state?.terminated ?? s.lastState?.terminated }))
    .filter((s) => s.t && s.t.exitCode !== undefined);
  if (!ended.length) return '—';
  if (ended.length === 1 && statuses.length === 1) return String(ended[0].t.exitCode);
  return ended.map((s) => `${s.name}: ${s.t.exitCode}`).join(', ');
}

// ---- CronJobs --------------------------------------------------------------------------

/** The zone the controller reads a CronJob's schedule in (core's default: UTC). */
export function scheduleZone(cj: KubeObject): string {
  const tz = cj.spec?.timeZone;
  return typeof tz === 'string' && tz ? tz : 'UTC';
}

/** The next time the schedule names after `now`, or why there is none. */
export function nextRun(cj: KubeObject, now = new Date()): { at?: Date; error?: string } {
  try {
    return { at: nextScheduleTime(String(cj.spec?.schedule ?? '').trim(), scheduleZone(cj), now) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** `2026-12-08 04:30` in a time zone (the browser's when none is named). */
export function formatInZone(at: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

/** `<cronjob>-manual-<suffix>`, shortened so that it stays a valid Job name (63 characters). */
export function manualJobName(cronJob: string, suffix = randomNameSuffix()): string {
  const tail = `-manual-${suffix}`;
  return cronJob.slice(0, 63 - tail.length).replace(/[-.]+$/, '') + tail;
}

/**
 * The Job `kubectl create job <name> --from=cronjob/<cj>` creates: the jobTemplate's spec,
 * labels and annotations (over `cronjob.kubernetes.io/instantiate: manual`), owned by the
 * CronJob without being its controller (that is reserved for the CronJob controller).
 */
export function jobFromCronJob(cj: KubeObject, name = manualJobName(cj.metadata.name)): KubeObject {
  const template = (cj.spec?.jobTemplate ?? {}) as Obj;
  const labels = template.metadata?.labels as Record<string, string> | undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata.namespace,
      ...(labels ? { labels: { ...labels } } : {}),
      annotations: { [INSTANTIATE_ANNOTATION]: 'manual', ...template.metadata?.annotations },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid! },
      ],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** Whether `job` is owned by `owner` (by uid). */
export function ownedBy(job: KubeObject, owner: KubeObject): boolean {
  return !!job.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid);
}

// ---- DaemonSets ------------------------------------------------------------------------

export interface DaemonNodeRow {
  node: string;
  /** The node is in the caller's node list (a tenant sees only its pools' nodes). */
  known: boolean;
  shouldRun: boolean;
  /** Why no daemon pod belongs there (node selector, affinity, taints), when it does not. */
  why?: string;
  /** The DaemonSet's pods for the node (one, or two during a surge). */
  pods: KubeObject[];
  /** Every pod there carries the template's current revision. */
  upToDate: boolean;
}

function taintText(t: { key: string; value?: string; effect: string }): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** Why `node` runs no pod of `ds`, as the controller's rules say (undefined: it should run one). */
export function whyNotOnNode(ds: KubeObject, node: KubeObject): string | undefined {
  const core = ds as CoreObject;
  const n = node as CoreObject;
  if (nodeShouldRunDaemonPod(core, n).shouldRun) return undefined;
  const template = (ds.spec?.template ?? {}) as Obj;
  const wanted = template.spec?.nodeName as string | undefined;
  if (wanted && wanted !== node.metadata.name) return `the template names node ${wanted}`;
  const pod = { spec: template.spec ?? {} } as unknown as CoreObject;
  if (
    !matchesRequiredAffinity(
      compilePodNodeAffinity(pod),
      node.metadata.labels ?? {},
      node.metadata.name,
    )
  ) {
    const selector = Object.entries((template.spec?.nodeSelector ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return selector
      ? `node labels do not match the node selector ${selector}`
      : 'node labels do not match the required node affinity';
  }
  const tolerations = daemonPodTolerations(template);
  const untolerated = nodeTaints(n).filter(
    (t) =>
      (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !toleratesTaint(tolerations, t),
  );
  if (untolerated.length) return `taint ${untolerated.map(taintText).join(', ')} not tolerated`;
  return 'the controller does not place a pod here';
}

/**
 * One row per node: the caller's nodes, and any other node one of the DaemonSet's pods is
 * for (a node the caller may not list); sorted by node name.
 */
export function daemonNodeRows(
  ds: KubeObject,
  nodes: KubeObject[],
  pods: KubeObject[],
): DaemonNodeRow[] {
  const hash = daemonSetHash(ds as CoreObject);
  const mine = pods.filter((p) => ownedBy(p, ds));
  const byNode = new Map<string, KubeObject[]>();
  for (const p of mine) {
    const node = daemonPodNode(p as CoreObject);
    byNode.set(node, [...(byNode.get(node) ?? []), p]);
  }
  const rows: DaemonNodeRow[] = nodes.map((n) => {
    const why = whyNotOnNode(ds, n);
    return { node: n.metadata.name, known: true, shouldRun: !why, why, pods: [], upToDate: false };
  });
  for (const [node, list] of byNode) {
    let row = rows.find((r) => r.node === node);
    if (!row) {
      row = { node, known: false, shouldRun: true, pods: [], upToDate: false };
      rows.push(row);
    }
    row.pods = list;
  }
  for (const r of rows)
    r.upToDate =
      r.pods.length > 0 &&
      r.pods.every((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash);
  return rows.sort((a, b) => a.node.localeCompare(b.node, undefined, { numeric: true }));
}

/** `1/1`: ready containers out of all. */
export function readyContainers(pod: KubeObject): string {
  const statuses = (pod.status?.containerStatuses ?? []) as Obj[];
  const total = ((pod.spec?.containers ?? []) as Obj[]).length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}
