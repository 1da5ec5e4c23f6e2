/**
 * Events with Kubernetes' de-duplication (client-go tools/record EventCorrelator): an event
 * identical to an earlier one — same involved object, source, type, reason and message —
 * bumps the earlier Event's `count` and `lastTimestamp` instead of creating another. Unlike
 * Kubernetes (which keeps the correlation cache in the recorder's memory), the Event's name
 * is derived from that key, so any worker process can GET the existing Event by name.
 */
import { formatTimestamp, type KubeObject } from '../api/types';
import { deepClone, fnv64aHex, nameOf, namespaceOf, num, obj, str, uidOf } from './util';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventSpec {
  type: EventType;
  /** CamelCase and machine-readable: `ScalingReplicaSet`, `SuccessfulCreate`, `NodeNotReady`. */
  reason: string;
  message: string;
  involvedObject: InvolvedObject;
  /** Who reports it: `deployment-controller`, `replicaset-controller`, `node-controller`. */
  source: { component: string; host?: string };
}

/** Well-known reporting components (kube-controller-manager's names). */
export const COMPONENTS = {
  deployment: 'deployment-controller',
  replicaSet: 'replicaset-controller',
  node: 'node-controller',
  taintEviction: 'taint-eviction-controller',
  garbageCollector: 'garbage-collector-controller',
  namespace: 'namespace-controller',
  resourceQuota: 'resourcequota-controller',
} as const;

/** A reference to `o` for `involvedObject`. */
export function involvedObjectOf(o: KubeObject): InvolvedObject {
  const ref: InvolvedObject = { kind: o.kind, name: nameOf(o) };
  const ns = namespaceOf(o);
  if (ns) ref.namespace = ns;
  const uid = uidOf(o);
  if (uid) ref.uid = uid;
  if (o.apiVersion) ref.apiVersion = o.apiVersion;
  const rv = str(obj(o.metadata).resourceVersion);
  if (rv) ref.resourceVersion = rv;
  return ref;
}

/** Shorthand for building an {@link EventSpec} about `o`. */
export function eventAbout(
  o: KubeObject,
  type: EventType,
  reason: string,
  message: string,
  component: string,
): EventSpec {
  return { type, reason, message, involvedObject: involvedObjectOf(o), source: { component } };
}

/**
 * The de-duplication key (EventCorrelator's getEventKey): source, involved object (not its
 * resourceVersion), type, reason and message.
 */
export function eventKey(spec: EventSpec): string {
  const io = spec.involvedObject;
  return JSON.stringify([
    spec.source.component,
    spec.source.host ?? '',
    io.kind,
    io.namespace ?? '',
    io.name,
    io.fieldPath ?? '',
    io.uid ?? '',
    io.apiVersion ?? '',
    spec.type,
    spec.reason,
    spec.message,
  ]);
}

/** Events of cluster-scoped objects (Nodes, Namespaces) live in `default`, as in Kubernetes. */
export function eventNamespace(spec: EventSpec): string {
  return spec.involvedObject.namespace || 'default';
}

const MAX_NAME = 253;
const HASH_LENGTH = 16;

/**
 * `<involved name>.<16 hex digits>`, stable for an event's de-duplication key, so a worker
 * can GET the Event to bump (the namespace is {@link eventNamespace}).
 */
export function eventName(spec: EventSpec): string {
  let base = (spec.involvedObject.name || spec.involvedObject.kind || 'event').toLowerCase();
  const room = MAX_NAME - HASH_LENGTH - 1;
  if (base.length > room) base = base.slice(0, room);
  base = base.replace(/[^a-z0-9]+$/, '') || 'event';
  return `${base}.${fnv64aHex(eventKey(spec))}`;
}

function sameKey(existing: KubeObject, spec: EventSpec): boolean {
  const io = obj(existing.involvedObject);
  const source = obj(existing.source);
  const candidate: EventSpec = {
    type: str(existing.type) as EventSpec['type'],
    reason: str(existing.reason),
    message: str(existing.message),
    involvedObject: {
      kind: str(io.kind),
      namespace: str(io.namespace) || undefined,
      name: str(io.name),
      uid: str(io.uid) || undefined,
      apiVersion: str(io.apiVersion) || undefined,
      fieldPath: str(io.fieldPath) || undefined,
    },
    source: {
      component: str(source.component) || str(existing.reportingComponent),
      host: str(source.host) || undefined,
    },
  };
  return eventKey(candidate) === eventKey(spec);
}

/**
 * The Event to write for `spec`. With `existing` (the Event named {@link eventName}) of the
 * same key: a copy with `count` + 1 and `lastTimestamp` = now (write it with the existing
 * resourceVersion). Otherwise a new Event with count 1 and first = last timestamp = now
 * (if `existing` is given but is not the same event, its metadata is kept so the write
 * replaces it).
 */
export function eventFor(spec: EventSpec, existing: KubeObject | undefined, now: Date): KubeObject {
  const ts = formatTimestamp(now);
  if (existing && sameKey(existing, spec)) {
    const copy = deepClone(existing);
    copy.count = (num(existing.count) ?? 1) + 1;
    copy.lastTimestamp = ts;
    if (!copy.firstTimestamp) copy.firstTimestamp = ts;
    return copy;
  }
  const metadata = existing
    ? { ...deepClone(obj(existing.metadata)) }
    : { name: eventName(spec), namespace: eventNamespace(spec) };
  const source: Record<string, string> = { component: spec.source.component };
  if (spec.source.host) source.host = spec.source.host;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata,
    involvedObject: { ...spec.involvedObject },
    reason: spec.reason,
    message: spec.message,
    source,
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type: spec.type,
    reportingComponent: spec.source.component,
    reportingInstance: spec.source.host ?? '',
  };
}
