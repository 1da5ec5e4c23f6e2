/** PodSpec / PodTemplateSpec defaults, applied in place on already-copied objects. */
import { arr, isObject, obj, type JsonObject } from './util';

/** `Always` for `:latest` or untagged images, else `IfNotPresent` (digests count as tags). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  if (colon === -1) return 'Always';
  return lastPart.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function unset(v: unknown): boolean {
  return v === undefined || v === '';
}

function defaultProbe(p: unknown): void {
  if (!isObject(p)) return;
  if (unset(p.timeoutSeconds) || p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (unset(p.periodSeconds) || p.periodSeconds === 0) p.periodSeconds = 10;
  if (unset(p.successThreshold) || p.successThreshold === 0) p.successThreshold = 1;
  if (unset(p.failureThreshold) || p.failureThreshold === 0) p.failureThreshold = 3;
  if (isObject(p.httpGet)) {
    if (unset(p.httpGet.path)) p.httpGet.path = '/';
    if (unset(p.httpGet.scheme)) p.httpGet.scheme = 'HTTP';
  }
}

function defaultContainer(c: unknown, hostNetwork: boolean): void {
  if (!isObject(c)) return;
  if (unset(c.imagePullPolicy) && typeof c.image === 'string')
    c.imagePullPolicy = defaultPullPolicy(c.image);
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  if (c.resources === undefined) c.resources = {};
  for (const p of arr(c.ports)) {
    if (!isObject(p)) continue;
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (
      hostNetwork &&
      (p.hostPort === undefined || p.hostPort === 0) &&
      typeof p.containerPort === 'number'
    ) {
      p.hostPort = p.containerPort;
    }
  }
  for (const e of arr(c.env)) {
    const fieldRef = obj(obj(obj(e).valueFrom).fieldRef);
    if (isObject(obj(obj(e).valueFrom).fieldRef) && unset(fieldRef.apiVersion))
      fieldRef.apiVersion = 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** Pod-spec defaults, in place on an already-copied spec. */
export function defaultPodSpecInPlace(spec: JsonObject): void {
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (spec.securityContext === undefined) spec.securityContext = {};
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  if (unset(spec.serviceAccountName) && !unset(spec.serviceAccount))
    spec.serviceAccountName = spec.serviceAccount;
  if (!unset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of arr(spec.initContainers)) defaultContainer(c, hostNetwork);
  for (const c of arr(spec.containers)) defaultContainer(c, hostNetwork);
  for (const t of arr(spec.tolerations)) {
    if (isObject(t) && unset(t.operator)) t.operator = 'Equal';
  }
  for (const v of arr(spec.volumes)) {
    if (!isObject(v)) continue;
    const sources = Object.keys(v).filter((k) => k !== 'name');
    if (sources.length === 0) v.emptyDir = {};
    for (const k of ['secret', 'configMap', 'downwardAPI', 'projected'] as const) {
      if (isObject(v[k]) && v[k].defaultMode === undefined) (v[k] as JsonObject).defaultMode = 420;
    }
  }
}

/** Kubernetes copies limits into missing requests for pods (not for templates). */
export function defaultRequestsFromLimits(spec: JsonObject): void {
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) {
    if (!isObject(c) || !isObject(c.resources)) continue;
    const res = c.resources;
    if (!isObject(res.limits)) continue;
    const requests: JsonObject = isObject(res.requests) ? res.requests : {};
    for (const [k, v] of Object.entries(res.limits)) if (requests[k] === undefined) requests[k] = v;
    if (Object.keys(requests).length > 0) res.requests = requests;
  }
}

/** Defaults for a pod template (`spec.template`) in place. */
export function defaultTemplateInPlace(template: unknown): void {
  if (!isObject(template)) return;
  if (isObject(template.spec)) defaultPodSpecInPlace(template.spec);
}
