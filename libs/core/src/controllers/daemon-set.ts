/**
 * The DaemonSet controller's decisions (kubernetes pkg/controller/daemon): which nodes
 * should run a daemon pod (node selector, required node affinity and taints, with the
 * tolerations every daemon pod gets), which pods to create and delete, the rolling update
 * (maxUnavailable, maxSurge) or OnDelete, and the status. Pods are placed by the scheduler:
 * each new pod carries a required node affinity to its node (matchFields metadata.name).
 */
import type { KubeObject } from '../api/types';
import { compilePodNodeAffinity, matchesRequiredAffinity } from '../scheduling/node-affinity';
import {
  nodeTaints,
  podTolerations,
  toleratesTaint,
  type Taint,
  type Toleration,
} from '../scheduling/taints';
import { podTemplateHash } from './deployment/util';
import { eventAbout, type EventSpec } from './events';
import { podFromTemplate } from './replicaset';
import {
  arr,
  compareByCreation,
  deepClone,
  isBeingDeleted,
  isControlledBy,
  isPodAvailable,
  isPodReady,
  nameOf,
  num,
  obj,
  podPhase,
  scaledValue,
  str,
  uidOf,
  type NameSuffixGenerator,
  randomNameSuffix,
} from './util';

/** The label naming the revision (template hash) a daemon pod was made from. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
export const DAEMON_SET_COMPONENT = 'daemonset-controller';

/** Tolerations Kubernetes adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations). */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = Object.freeze([
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
]);

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable?: number;
  observedGeneration?: number;
}

export interface DaemonSetPlan {
  createPods: KubeObject[];
  deletePods: KubeObject[];
  status: DaemonSetStatus;
  events: EventSpec[];
  /** Look again then (a pod's minReadySeconds runs out). */
  requeueAfterMs?: number;
}

/** Whether a node should run a daemon pod, and whether a pod already there may stay. */
export interface NodePlacement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** The template's revision hash (the `controller-revision-hash` label of its pods). */
export function daemonSetHash(ds: KubeObject): string {
  return podTemplateHash(obj(ds.spec).template, num(obj(ds.status).collisionCount));
}

/** The template's tolerations plus those every daemon pod gets (not duplicated). */
export function daemonPodTolerations(template: unknown): Toleration[] {
  const own = podTolerations({ spec: obj(obj(template).spec) } as unknown as KubeObject);
  const out = [...own];
  for (const t of DAEMON_POD_TOLERATIONS)
    if (!own.some((o) => o.key === t.key && o.effect === t.effect)) out.push({ ...t });
  return out;
}

/** NodeShouldRunDaemonPod: node affinity and taints against the DaemonSet's template. */
export function nodeShouldRunDaemonPod(ds: KubeObject, node: KubeObject): NodePlacement {
  const template = obj(obj(ds.spec).template);
  const pod = { spec: obj(template.spec) } as unknown as KubeObject;
  const name = str(obj(node.metadata).name);
  const labels = obj(obj(node.metadata).labels) as Record<string, string>;
  const wantedName = str(obj(template.spec).nodeName);
  if (
    (wantedName && wantedName !== name) ||
    !matchesRequiredAffinity(compilePodNodeAffinity(pod), labels, name)
  )
    return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonPodTolerations(template);
  const untolerated = (effect: string) =>
    nodeTaints(node).some((t: Taint) => t.effect === effect && !toleratesTaint(tolerations, t));
  if (untolerated('NoExecute')) return { shouldRun: false, shouldContinueRunning: false };
  if (untolerated('NoSchedule')) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: its nodeName, or the node its affinity pins it to. */
export function daemonPodNode(pod: KubeObject): string {
  const bound = str(obj(pod.spec).nodeName);
  if (bound) return bound;
  const required = obj(
    obj(obj(obj(pod.spec).affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
  );
  for (const term of arr(required.nodeSelectorTerms))
    for (const f of arr(obj(term).matchFields)) {
      const r = obj(f);
      const values = arr(r.values);
      if (r.key === 'metadata.name' && r.operator === 'In' && values.length === 1)
        return str(values[0]);
    }
  return '';
}

/**
 * A daemon pod for `node` (controller.GetPodFromTemplate + util.ReplaceDaemonSetPodNodeNameNodeAffinity):
 * the template with the revision hash label, the daemon tolerations and a required node
 * affinity term replaced by `matchFields metadata.name In [node]`.
 */
export function daemonPodForNode(
  ds: KubeObject,
  node: string,
  hash: string,
  nameSuffix: NameSuffixGenerator = randomNameSuffix,
): KubeObject {
  const pod = podFromTemplate(ds, nameSuffix);
  const meta = obj(pod.metadata);
  meta.labels = { ...obj(meta.labels), [CONTROLLER_REVISION_HASH_LABEL]: hash };
  const spec = deepClone(obj(pod.spec));
  spec.tolerations = daemonPodTolerations(obj(ds.spec).template).map((t) =>
    Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)),
  );
  const affinity = obj(spec.affinity);
  const nodeAffinity = obj(affinity.nodeAffinity);
  spec.affinity = {
    ...affinity,
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
        ],
      },
    },
  };
  return { ...pod, metadata: meta, spec };
}

interface Strategy {
  rolling: boolean;
  maxSurge: number;
  maxUnavailable: number;
}

function strategyOf(ds: KubeObject, desired: number): Strategy {
  const us = obj(obj(ds.spec).updateStrategy);
  if (str(us.type, 'RollingUpdate') !== 'RollingUpdate')
    return { rolling: false, maxSurge: 0, maxUnavailable: 0 };
  const ru = obj(us.rollingUpdate);
  const maxSurge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { rolling: true, maxSurge, maxUnavailable };
}

function hashOf(pod: KubeObject): string {
  return str(obj(obj(pod.metadata).labels)[CONTROLLER_REVISION_HASH_LABEL]);
}

/**
 * One pass of the DaemonSet controller over `nodes` and the pods `ds` controls: a pod for
 * every node that should run one (one at a time per node), none where it may not stay,
 * failed pods replaced, and (RollingUpdate) old pods replaced within the budget.
 */
export function reconcileDaemonSet(
  ds: KubeObject,
  nodes: readonly KubeObject[],
  allPods: readonly KubeObject[],
  now: Date,
  nameSuffix: NameSuffixGenerator = randomNameSuffix,
  /** The current revision's hash (its ControllerRevision's label; see daemon-set-history). */
  hash: string = daemonSetHash(ds),
): DaemonSetPlan {
  const minReady = num(obj(ds.spec).minReadySeconds) ?? 0;
  const pods = allPods.filter((p) => isControlledBy(p, uidOf(ds))).sort(compareByCreation);
  const byNode = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    const node = daemonPodNode(pod);
    byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  const createPods: KubeObject[] = [];
  const deletePods: KubeObject[] = [];
  const events: EventSpec[] = [];
  const placements = new Map(nodes.map((n) => [nameOf(n), nodeShouldRunDaemonPod(ds, n)]));
  const desired = [...placements.values()].filter((p) => p.shouldRun).length;
  const strategy = strategyOf(ds, desired);
  const available = (p: KubeObject) => isPodAvailable(p, minReady, now);
  const status: DaemonSetStatus = {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: desired,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
  };
  let requeueAfterMs: number | undefined;

  // Pods whose node is gone, or pinned nowhere: delete.
  for (const [node, list] of byNode)
    if (!placements.has(node)) deletePods.push(...list.filter((p) => !isBeingDeleted(p)));

  // Per node: which pods live, and (for rolling updates) which old ones may be replaced.
  const oldAvailable: Array<{ node: string; pod: KubeObject }> = [];
  const surgeCandidates: Array<{ node: string; old: KubeObject }> = [];
  let unavailable = 0;
  for (const node of nodes) {
    const name = nameOf(node);
    const placement = placements.get(name)!;
    const list = byNode.get(name) ?? [];
    const terminating = list.some(isBeingDeleted);
    let live = list.filter((p) => !isBeingDeleted(p));
    if (placement.shouldContinueRunning && list.length > 0) status.currentNumberScheduled++;
    if (!placement.shouldContinueRunning) {
      if (live.length > 0) status.numberMisscheduled++;
      deletePods.push(...live);
      continue;
    }
    // A failed daemon pod is replaced (Kubernetes deletes it; the next pass creates one).
    const failed = live.filter((p) => podPhase(p) === 'Failed');
    if (failed.length) {
      deletePods.push(...failed);
      events.push(
        eventAbout(
          ds,
          'Warning',
          'FailedDaemonPod',
          `Found failed daemon pod ${nameOf(failed[0])} on node ${name}, will try to kill it`,
          DAEMON_SET_COMPONENT,
        ),
      );
      live = live.filter((p) => podPhase(p) !== 'Failed');
    }
    if (!placement.shouldRun && live.length === 0) continue;
    if (live.length === 0) {
      if (placement.shouldRun && !terminating && !failed.length)
        createPods.push(daemonPodForNode(ds, name, hash, nameSuffix));
      if (placement.shouldRun) unavailable++;
      continue;
    }
    const updated = live.filter((p) => hashOf(p) === hash);
    const old = live.filter((p) => hashOf(p) !== hash);
    // Duplicates: one pod per node (one old and one new while surging).
    const keep: KubeObject[] = [];
    if (updated.length) keep.push(updated.find(available) ?? updated[0]);
    if (old.length && !(updated.length && available(keep[0])))
      keep.push(old.find(available) ?? old[0]);
    if (keep.length === 2 && strategy.maxSurge === 0 && strategy.rolling) {
      // Not surging: the new pod waits for the old one to go.
      deletePods.push(keep.pop()!);
    }
    deletePods.push(...live.filter((p) => !keep.includes(p)));
    const current = keep.find((p) => hashOf(p) === hash) ?? keep[0];
    if (isPodReady(current)) status.numberReady++;
    if (available(current)) status.numberAvailable++;
    else if (isPodReady(current) && minReady > 0) {
      const wait = minReady * 1000;
      requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
    }
    if (hashOf(current) === hash) status.updatedNumberScheduled++;
    const onlyOld = keep.length === 1 && hashOf(keep[0]) !== hash;
    if (!available(current)) {
      unavailable++;
      if (onlyOld && strategy.rolling && strategy.maxSurge === 0) deletePods.push(current);
    } else if (onlyOld && strategy.rolling) {
      if (strategy.maxSurge > 0) surgeCandidates.push({ node: name, old: current });
      else oldAvailable.push({ node: name, pod: current });
    }
  }

  if (strategy.rolling) {
    // maxUnavailable: replace old available pods while the unavailable nodes allow.
    let budget = strategy.maxUnavailable - unavailable;
    for (const { pod } of oldAvailable) {
      if (budget <= 0) break;
      deletePods.push(pod);
      budget--;
    }
    // maxSurge: a new pod beside the old one (deleted once the new one is available).
    const surging = nodes.filter((n) => {
      const list = (byNode.get(nameOf(n)) ?? []).filter((p) => !isBeingDeleted(p));
      return list.some((p) => hashOf(p) === hash) && list.some((p) => hashOf(p) !== hash);
    }).length;
    let surge = strategy.maxSurge - surging;
    for (const { node } of surgeCandidates) {
      if (surge <= 0) break;
      createPods.push(daemonPodForNode(ds, node, hash, nameSuffix));
      surge--;
    }
  }
  for (const pod of createPods)
    events.push(
      eventAbout(
        ds,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${nameOf(pod)}`,
        DAEMON_SET_COMPONENT,
      ),
    );
  const unique = [...new Map(deletePods.map((p) => [uidOf(p) || nameOf(p), p])).values()];
  for (const pod of unique)
    events.push(
      eventAbout(
        ds,
        'Normal',
        'SuccessfulDelete',
        `Deleted pod: ${nameOf(pod)}`,
        DAEMON_SET_COMPONENT,
      ),
    );
  status.numberUnavailable = Math.max(0, desired - status.numberAvailable);
  const generation = num(obj(ds.metadata).generation);
  if (generation !== undefined) status.observedGeneration = generation;
  const collision = num(obj(ds.status).collisionCount);
  const fullStatus = collision === undefined ? status : { ...status, collisionCount: collision };
  return { createPods, deletePods: unique, status: fullStatus, events, requeueAfterMs };
}
