/**
 * The kubelet's side of a container's environment: the ConfigMaps, Secrets and Services
 * a pod's containers refer to are read from the API with the node credential (the node
 * authorizer lets a node read only what its own pods refer to), then each container's
 * `env`/`envFrom` is resolved by the pure `resolveContainerEnv` of @berth/core. A reference
 * that cannot be resolved is kubelet's CreateContainerConfigError, tried again later.
 *
 * `KUBERNETES_SERVICE_HOST`/`_PORT` come from `default/kubernetes`; where the API serves no
 * such Service, one is made up from the agent's API address, so a pod still finds the API.
 */
import { workloads, type KubeObject } from '@berth/core';
import type { ContainerSpec } from '@berth/runtime';
import type { ApiResponse } from './api-client';
import type { ApiPod } from './pod-status';

type Call = <T>(method: string, url: string) => Promise<ApiResponse<T>>;
type Json = Record<string, unknown>;

/** Why a pod's containers cannot be configured (kubelet's words), reported as waiting. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvContext {
  call: Call;
  /** The API address the agent uses (for a made-up `default/kubernetes`). */
  apiUrl: URL;
  node: workloads.NodeInfo;
  /** The pod's IPs when the runtime knows them before it starts (process: the node's). */
  podIPs?: string[];
}

/** The names of the ConfigMaps and Secrets `env`/`envFrom` of the pod's containers use. */
export function envReferences(pod: ApiPod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const spec = (pod.spec ?? {}) as Json;
  const containers = [
    ...((spec.initContainers as Json[] | undefined) ?? []),
    ...((spec.containers as Json[] | undefined) ?? []),
  ];
  for (const c of containers) {
    for (const e of (c.env as Json[] | undefined) ?? []) {
      const from = (e.valueFrom ?? {}) as Json;
      const cm = from.configMapKeyRef as Json | undefined;
      const sec = from.secretKeyRef as Json | undefined;
      if (typeof cm?.name === 'string') configMaps.add(cm.name);
      if (typeof sec?.name === 'string') secrets.add(sec.name);
    }
    for (const e of (c.envFrom as Json[] | undefined) ?? []) {
      const cm = e.configMapRef as Json | undefined;
      const sec = e.secretRef as Json | undefined;
      if (typeof cm?.name === 'string') configMaps.add(cm.name);
      if (typeof sec?.name === 'string') secrets.add(sec.name);
    }
  }
  return { configMaps, secrets };
}

/** GET of one object: undefined when it is not there (404). */
async function getObject(call: Call, url: string, what: string): Promise<Json | undefined> {
  const res = await call<Json>('GET', url);
  if (res.status === 404) return undefined;
  if (res.status !== 200) {
    const message = typeof res.body?.message === 'string' ? res.body.message : '';
    throw new ContainerConfigError(`failed to get ${what}: ${res.status} ${message}`.trim());
  }
  return res.body;
}

function decodeMap(m: unknown): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((m ?? {}) as Record<string, string>))
    out[k] = Buffer.from(String(v), 'base64');
  return out;
}

/** The ConfigMaps and Secrets of `names`, read from the API (values decoded). */
export async function readConfigSources(
  call: Call,
  namespace: string,
  refs: { configMaps: Iterable<string>; secrets: Iterable<string> },
): Promise<workloads.ConfigLookup> {
  const ns = encodeURIComponent(namespace);
  const configMaps = new Map<string, workloads.ConfigData>();
  const secrets = new Map<string, workloads.SecretData>();
  for (const name of refs.configMaps) {
    const cm = await getObject(
      call,
      `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(name)}`,
      `configmap ${namespace}/${name}`,
    );
    if (cm)
      configMaps.set(name, {
        data: (cm.data ?? {}) as Record<string, string>,
        binaryData: decodeMap(cm.binaryData),
      });
  }
  for (const name of refs.secrets) {
    const s = await getObject(
      call,
      `/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(name)}`,
      `secret ${namespace}/${name}`,
    );
    if (s) secrets.set(name, { data: decodeMap(s.data) });
  }
  return {
    configMap: (n, name) => (n === namespace ? configMaps.get(name) : undefined),
    secret: (n, name) => (n === namespace ? secrets.get(name) : undefined),
  };
}

/** The Services a pod's environment is made of: its namespace's and `default/kubernetes`. */
export async function readServices(ctx: EnvContext, pod: ApiPod): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const spec = (pod.spec ?? {}) as Json;
  if (spec.enableServiceLinks !== false) {
    const ns = encodeURIComponent(pod.metadata.namespace);
    const res = await ctx.call<{ items?: KubeObject[] }>(
      'GET',
      `/api/v1/namespaces/${ns}/services`,
    );
    if (res.status !== 200)
      throw new ContainerConfigError(
        `failed to list services of namespace ${pod.metadata.namespace}: ${res.status}`,
      );
    out.push(
      ...(res.body.items ?? []).map((s) => ({
        ...s,
        metadata: { ...s.metadata, namespace: pod.metadata.namespace },
      })),
    );
  }
  const master = await getObject(
    ctx.call,
    '/api/v1/namespaces/default/services/kubernetes',
    'service default/kubernetes',
  ).catch(() => undefined);
  out.push((master as KubeObject | undefined) ?? madeUpMasterService(ctx.apiUrl));
  return out;
}

/** `default/kubernetes` as the agent reaches the API (where the API serves none). */
export function madeUpMasterService(api: URL): KubeObject {
  const port = Number(api.port) || (api.protocol === 'https:' ? 443 : 80);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default' },
    spec: {
      clusterIP: api.hostname.replace(/^\[|\]$/g, ''),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  };
}

/**
 * The pod's containers with their environment resolved (values final: the runtime does
 * not expand them again). Throws ContainerConfigError with kubelet's message.
 */
export async function resolvePodEnv(ctx: EnvContext, pod: ApiPod): Promise<ContainerSpec[]> {
  const lookup = await readConfigSources(ctx.call, pod.metadata.namespace, envReferences(pod));
  const services = await readServices(ctx, pod);
  return (pod.spec?.containers ?? []).map((c) => {
    const result = workloads.resolveContainerEnv({
      pod: pod as unknown as KubeObject,
      container: c as unknown as Json,
      lookup,
      services,
      node: ctx.node,
      ...(ctx.podIPs ? { podIPs: ctx.podIPs } : {}),
    });
    if (!result.ok) throw new ContainerConfigError(result.error.message);
    return { ...c, env: result.env, envResolved: true };
  });
}
