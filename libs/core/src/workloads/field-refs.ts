/**
 * The downward API's values (k8s.io/kubernetes pkg/fieldpath, pkg/api/v1/resource and the
 * kubelet's podFieldSelectorRuntimeValue / defaultPodLimitsForDownwardAPI), shared by
 * environment variables and downwardAPI volume files. Errors are kubelet's words.
 */
import type { KubeObject } from '../api/types';
import { isValidQuantity, parseQuantity, type Quantity } from '../quantity';
import { isQualifiedName } from '../validation';
import { arr, obj, str, stringMap, type JsonObject } from '../resources/util';

/** What the kubelet knows beyond the pod object. */
export interface NodeInfo {
  /** Node allocatable (`cpu`, `memory`, `ephemeral-storage`…): the limit of unlimited containers. */
  allocatable?: Record<string, string | number>;
  /** The node's IPs, first the preferred family (status.hostIP / status.hostIPs). */
  hostIPs?: string[];
}

export class DownwardApiError extends Error {
  override readonly name = 'DownwardApiError';
}

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['app']` → [`metadata.labels`, `app`]. */
export function splitSubscriptedPath(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** fieldpath.FormatMap: `key="value"` lines, keys sorted. */
export function formatMap(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join('\n');
}

/** fieldpath.ExtractFieldPathAsString: the metadata fields (all a downwardAPI volume may use). */
export function extractMetadataField(pod: KubeObject, fieldPath: string): string {
  const meta = obj(pod.metadata);
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations' || path === 'metadata.labels') {
      const errs = isQualifiedName(path === 'metadata.annotations' ? key.toLowerCase() : key);
      if (errs.length > 0)
        throw new DownwardApiError(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
      return stringMap(path === 'metadata.annotations' ? meta.annotations : meta.labels)[key] ?? '';
    }
    throw new DownwardApiError(`fieldPath ${JSON.stringify(fieldPath)} does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(stringMap(meta.annotations));
    case 'metadata.labels':
      return formatMap(stringMap(meta.labels));
    case 'metadata.name':
      return str(meta.name);
    case 'metadata.namespace':
      return str(meta.namespace);
    case 'metadata.uid':
      return str(meta.uid);
  }
  throw new DownwardApiError(`unsupported fieldPath: ${fieldPath}`);
}

const ENV_FIELD_LABELS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

function podIPs(pod: KubeObject, given?: string[]): string[] {
  if (given && given.length > 0) return given;
  const status = obj(pod.status);
  const ips = arr(status.podIPs)
    .map((p) => str(obj(p).ip))
    .filter((s) => s !== '');
  return ips.length > 0 ? ips : str(status.podIP) ? [str(status.podIP)] : [];
}

function hostIPs(pod: KubeObject, node: NodeInfo): string[] {
  if (node.hostIPs && node.hostIPs.length > 0) return node.hostIPs;
  const status = obj(pod.status);
  const ips = arr(status.hostIPs)
    .map((p) => str(obj(p).ip))
    .filter((s) => s !== '');
  if (ips.length > 0) return ips;
  if (str(status.hostIP)) return [str(status.hostIP)];
  throw new DownwardApiError('host IP unknown; known addresses: []');
}

/**
 * An env var's `fieldRef` (kubelet podFieldSelectorRuntimeValue, after
 * ConvertDownwardAPIFieldLabel): the pod's metadata, node and service account names, and
 * its and its node's IPs (`podIPs` as the runtime reports them, else the pod's status).
 */
export function podFieldValue(
  pod: KubeObject,
  fieldRef: { apiVersion?: string; fieldPath?: string },
  node: NodeInfo = {},
  runtimePodIPs?: string[],
): string {
  const version = str(fieldRef.apiVersion) || 'v1';
  if (version !== 'v1') throw new DownwardApiError(`unsupported pod version: ${version}`);
  let fieldPath = str(fieldRef.fieldPath);
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    if (sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels')
      throw new DownwardApiError(`field label does not support subscript: ${fieldPath}`);
  } else if (fieldPath === 'spec.host') {
    fieldPath = 'spec.nodeName';
  } else if (!ENV_FIELD_LABELS.has(fieldPath)) {
    throw new DownwardApiError(`field label not supported: ${fieldPath}`);
  }
  const spec = obj(pod.spec);
  const ips = podIPs(pod, runtimePodIPs);
  switch (fieldPath) {
    case 'spec.nodeName':
      return str(spec.nodeName);
    case 'spec.serviceAccountName':
      return str(spec.serviceAccountName);
    case 'status.hostIP':
      return hostIPs(pod, node)[0]!;
    case 'status.hostIPs':
      return hostIPs(pod, node).join(',');
    case 'status.podIP':
      return ips[0] ?? '';
    case 'status.podIPs':
      return ips.join(',');
  }
  return extractMetadataField(pod, fieldPath);
}

function quantityOf(v: unknown): Quantity | undefined {
  if (!isValidQuantity(v)) return undefined;
  try {
    return parseQuantity(v as string | number);
  } catch {
    return undefined;
  }
}

/** The pod's container (or init container) `name`: resource.findContainerInPod. */
export function findContainer(pod: KubeObject, name: string): JsonObject {
  const spec = obj(pod.spec);
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)])
    if (str(obj(c).name) === name) return obj(c);
  throw new DownwardApiError(`container ${name} not found`);
}

const DEFAULTED_FROM_ALLOCATABLE = ['cpu', 'memory', 'ephemeral-storage'];

/**
 * The container's limits as the downward API sees them (resource.MergeContainerResourceLimits):
 * cpu, memory and ephemeral-storage limits that are missing or zero become the node's
 * allocatable amount.
 */
export function effectiveLimits(container: JsonObject, node: NodeInfo): Map<string, Quantity> {
  const limits = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(obj(obj(container.resources).limits))) {
    const q = quantityOf(v);
    if (q) limits.set(k, q);
  }
  for (const k of DEFAULTED_FROM_ALLOCATABLE) {
    const have = limits.get(k);
    if (have && !have.isZero()) continue;
    const cap = quantityOf(node.allocatable?.[k]);
    if (cap) limits.set(k, cap);
  }
  return limits;
}

/**
 * A `resourceFieldRef` (resource.ExtractContainerResourceValue): the amount divided by the
 * divisor (default 1) and rounded up — cpu in milli-units, the rest in whole units — as
 * a decimal integer string.
 */
export function containerResourceValue(
  ref: { resource?: string; divisor?: string | number },
  container: JsonObject,
  node: NodeInfo = {},
): string {
  const resource = str(ref.resource);
  const d = quantityOf(ref.divisor);
  const divisor = d && !d.isZero() ? d : parseQuantity('1');
  const dot = resource.indexOf('.');
  const scope = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const known =
    DEFAULTED_FROM_ALLOCATABLE.includes(name) ||
    (name.startsWith('hugepages-') && name.length > 10);
  if ((scope !== 'limits' && scope !== 'requests') || !known) {
    throw new DownwardApiError(`unsupported container resource : ${resource}`);
  }
  let amount: Quantity | undefined;
  if (scope === 'limits') amount = effectiveLimits(container, node).get(name);
  else amount = quantityOf(obj(obj(container.resources).requests)[name]);
  amount ??= parseQuantity('0');
  const ratio =
    name === 'cpu'
      ? Number(amount.milliValue()) / Number(divisor.milliValue())
      : Number(amount.value()) / Number(divisor.value());
  return String(Math.ceil(ratio));
}
