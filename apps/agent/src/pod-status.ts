/**
 * Pure translations between API pods and the runtime: the spec a runtime runs, and the
 * status the agent writes back (kubelet's generateAPIPodStatus) — with the decision whether
 * anything changed, so unchanged statuses are never written.
 */
import type {
  ContainerSpec,
  ContainerState,
  PodSpecForRuntime,
  PodStatusReport,
} from '@berth/runtime';

/** The parts of an API pod the agent reads. */
export interface ApiPod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec?: {
    nodeName?: string;
    containers?: ContainerSpec[];
    restartPolicy?: string;
    terminationGracePeriodSeconds?: number;
    securityContext?: PodSpecForRuntime['securityContext'];
  };
  status?: PodStatus;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: Array<Record<string, unknown>>;
  startTime?: string;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  hostIP?: string;
  hostIPs?: Array<{ ip: string }>;
  [key: string]: unknown;
}

/** Where a container port is published on the node (Berth's `containerStatuses[].hostPorts`). */
export interface HostPort {
  containerPort: number;
  hostPort: number;
  name?: string;
  protocol: string;
}

/** Phases a pod never leaves: the agent does not (re)start such pods. */
export function isTerminal(pod: ApiPod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function toRuntimeSpec(pod: ApiPod): PodSpecForRuntime {
  const policy = pod.spec?.restartPolicy;
  return {
    uid: pod.metadata.uid,
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    containers: (pod.spec?.containers ?? []).map((c) => ({ ...c })),
    restartPolicy: policy === 'OnFailure' || policy === 'Never' ? policy : 'Always',
    terminationGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
    ...(pod.spec?.securityContext ? { securityContext: pod.spec.securityContext } : {}),
  };
}

/** RFC 3339 at second precision, as metav1.Time is serialised. */
export function seconds(ts: string): string;
export function seconds(ts: string | undefined): string | undefined;
export function seconds(ts: string | undefined): string | undefined {
  if (!ts) return ts;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? ts : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stateForApi(s: ContainerState): Record<string, unknown> {
  if (s.running) return { running: { startedAt: seconds(s.running.startedAt) } };
  if (s.terminated) {
    const t = s.terminated;
    return {
      terminated: {
        exitCode: t.exitCode,
        ...(t.signal !== undefined ? { signal: t.signal } : {}),
        reason: t.reason,
        ...(t.message ? { message: t.message } : {}),
        ...(t.startedAt ? { startedAt: seconds(t.startedAt) } : {}),
        finishedAt: seconds(t.finishedAt),
      },
    };
  }
  if (s.waiting)
    return {
      waiting: {
        reason: s.waiting.reason,
        ...(s.waiting.message ? { message: s.waiting.message } : {}),
      },
    };
  return {};
}

/** The runtime's port map as `hostPorts` (with the container port's name and protocol). */
function hostPortsForApi(
  pod: ApiPod,
  c: PodStatusReport['containerStatuses'][number],
): { hostPorts?: HostPort[] } {
  const entries = Object.entries(c.hostPorts ?? {});
  if (entries.length === 0) return {};
  const declared = pod.spec?.containers?.find((x) => x.name === c.name)?.ports ?? [];
  return {
    hostPorts: entries
      .map(([containerPort, hostPort]) => {
        const p = declared.find((d) => d.containerPort === Number(containerPort));
        return {
          containerPort: Number(containerPort),
          hostPort,
          ...(p?.name ? { name: p.name } : {}),
          protocol: p?.protocol ?? 'TCP',
        };
      })
      .sort((a, b) => a.containerPort - b.containerPort),
  };
}

const OWN_CONDITIONS = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'];

/**
 * The status the pod should have given what the runtime reports, or undefined when the
 * pod's current status says exactly that already.
 */
export function desiredPodStatus(
  pod: ApiPod,
  report: PodStatusReport,
  hostIP: string,
  now: Date,
): PodStatus | undefined {
  const current = pod.status ?? {};
  const ts = seconds(now.toISOString());
  const statuses = report.containerStatuses;
  const unready = statuses.filter((c) => !c.ready).map((c) => c.name);
  const allReady = statuses.length > 0 && unready.length === 0;
  const done = report.phase === 'Succeeded' || report.phase === 'Failed';
  const previous = new Map((current.conditions ?? []).map((c) => [c.type, c]));
  const condition = (
    type: string,
    ok: boolean,
    reason?: string,
    message?: string,
  ): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous.get(type);
    return {
      type,
      status,
      ...(reason && !ok ? { reason } : {}),
      ...(message && !ok ? { message } : {}),
      lastTransitionTime:
        before && before.status === status && before.lastTransitionTime
          ? before.lastTransitionTime
          : ts,
    };
  };
  const notReadyMessage = `containers with unready status: [${unready.join(' ')}]`;
  const conditions: PodCondition[] = [
    previous.get('PodScheduled') ?? condition('PodScheduled', true),
    condition('Initialized', true),
    condition(
      'ContainersReady',
      allReady,
      done ? 'PodCompleted' : 'ContainersNotReady',
      done ? undefined : notReadyMessage,
    ),
    condition(
      'Ready',
      allReady,
      done ? 'PodCompleted' : 'ContainersNotReady',
      done ? undefined : notReadyMessage,
    ),
    // Conditions others own (DisruptionTarget, readiness gates) are kept as they are.
    ...(current.conditions ?? []).filter((c) => !OWN_CONDITIONS.includes(c.type)),
  ];
  const podIP = report.podIP ?? hostIP;
  const next: PodStatus = {
    ...current,
    phase: report.phase,
    conditions,
    containerStatuses: statuses.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      state: stateForApi(c.state),
      lastState: stateForApi(c.lastState),
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
      ...hostPortsForApi(pod, c),
    })),
    startTime: current.startTime ?? seconds(report.startTime ?? now.toISOString()),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
  };
  return sameJson(next, current) ? undefined : next;
}

/** Deep equality of JSON values, ignoring key order; `null` and absent are the same. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (b === null || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameJson(ao[k], bo[k])) return false;
  return true;
}
