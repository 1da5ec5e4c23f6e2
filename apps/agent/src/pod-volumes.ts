/**
 * The kubelet's volume side for the runtimes: the files of a pod's configMap, secret,
 * downwardAPI and projected volumes (computed by the pure `computeVolumeFiles` of
 * @berth/core from objects read with the node credential), and its emptyDirs. Volumes of
 * other types are passed on only when no container mounts them (a mount of one is
 * CreateContainerConfigError: this agent cannot provide it).
 *
 * Projected serviceAccountTokens come from the TokenRequest API
 * (`POST …/serviceaccounts/<name>/token`, bound to the pod), kept until 80% of their
 * lifetime has passed, as the kubelet's token manager does.
 */
import { workloads, type KubeObject } from '@berth/core';
import type { RuntimeVolume } from '@berth/runtime';
import type { ApiResponse } from './api-client';
import { ContainerConfigError, readConfigSources } from './container-env';
import type { ApiPod } from './pod-status';

type Json = Record<string, unknown>;
type Call = <T>(method: string, url: string, body?: unknown) => Promise<ApiResponse<T>>;

const FILE_KINDS = ['configMap', 'secret', 'downwardAPI', 'projected'] as const;

const volumesOf = (pod: ApiPod) => ((pod.spec as Json | undefined)?.volumes as Json[]) ?? [];

/** Whether any volume's files come from the API or the pod (and so may change). */
export function hasFileVolumes(pod: ApiPod): boolean {
  return volumesOf(pod).some((v) => FILE_KINDS.some((k) => v[k] !== undefined));
}

/** ConfigMaps and Secrets the pod's volumes read. */
export function volumeReferences(pod: ApiPod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const add = (set: Set<string>, name: unknown) => typeof name === 'string' && set.add(name);
  for (const v of volumesOf(pod)) {
    add(configMaps, (v.configMap as Json | undefined)?.name);
    add(secrets, (v.secret as Json | undefined)?.secretName);
    for (const s of ((v.projected as Json | undefined)?.sources as Json[]) ?? []) {
      add(configMaps, (s.configMap as Json | undefined)?.name);
      add(secrets, (s.secret as Json | undefined)?.name);
    }
  }
  return { configMaps, secrets };
}

export class PodVolumes {
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly call: Call,
    private readonly node: workloads.NodeInfo,
  ) {}

  /** The pod's volumes for the runtime; throws ContainerConfigError with kubelet's words. */
  async build(pod: ApiPod): Promise<RuntimeVolume[]> {
    const volumes = volumesOf(pod);
    if (!volumes.length) return [];
    const mounted = new Set<string>();
    for (const c of [
      ...(((pod.spec as Json).initContainers as Json[]) ?? []),
      ...((pod.spec?.containers ?? []) as unknown as Json[]),
    ])
      for (const m of (c.volumeMounts as Json[]) ?? []) mounted.add(String(m.name));
    const lookup = await readConfigSources(
      this.call,
      pod.metadata.namespace,
      volumeReferences(pod),
    );
    const out: RuntimeVolume[] = [];
    for (const v of volumes) {
      const name = String(v.name);
      if (v.emptyDir !== undefined) {
        out.push({ name, emptyDir: true });
        continue;
      }
      if (!FILE_KINDS.some((k) => v[k] !== undefined)) {
        const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
        if (mounted.has(name))
          throw new ContainerConfigError(
            `MountVolume.SetUp failed for volume "${name}" : this node agent does not provide ${kind} volumes (emptyDir, configMap, secret, downwardAPI and projected only)`,
          );
        continue;
      }
      const files = await this.files(pod, v, lookup);
      out.push({ name, files });
    }
    return out;
  }

  private async files(
    pod: ApiPod,
    volume: Json,
    lookup: workloads.ConfigLookup,
  ): Promise<RuntimeVolume['files']> {
    // Tokens are issued asynchronously: a first pass collects the requests.
    const requests: workloads.TokenRequest[] = [];
    const input = { pod: pod as unknown as KubeObject, volume, lookup, node: this.node };
    workloads.computeVolumeFiles({
      ...input,
      issueToken: (r) => (requests.push(r), ''),
    });
    const issued = new Map<string, string>();
    for (const r of requests) issued.set(JSON.stringify(r), await this.token(r));
    const result = workloads.computeVolumeFiles({
      ...input,
      issueToken: (r) => issued.get(JSON.stringify(r)) ?? '',
    });
    if (!result.ok)
      throw new ContainerConfigError(
        `MountVolume.SetUp failed for volume "${String(volume.name)}" : ${result.error}`,
      );
    return result.files;
  }

  private async token(r: workloads.TokenRequest): Promise<string> {
    const key = JSON.stringify(r);
    const held = this.tokens.get(key);
    if (held && held.renewAt > Date.now()) return held.token;
    const url = `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/serviceaccounts/${encodeURIComponent(r.serviceAccountName)}/token`;
    const res = await this.call<Json>('POST', url, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: r.audiences,
        expirationSeconds: r.expirationSeconds,
        boundObjectRef: r.boundObject,
      },
    });
    const token = (res.body?.status as Json | undefined)?.token;
    if (res.status !== 201 && res.status !== 200)
      throw new ContainerConfigError(
        `failed to fetch token: ${res.status} ${String(res.body?.message ?? '')}`.trim(),
      );
    if (typeof token !== 'string')
      throw new ContainerConfigError('failed to fetch token: no token');
    this.tokens.set(key, { token, renewAt: Date.now() + r.expirationSeconds * 800 });
    return token;
  }

  /** Forgets the tokens of a pod that is gone. */
  forget(uid: string): void {
    for (const key of [...this.tokens.keys()])
      if (key.includes(`"uid":"${uid}"`)) this.tokens.delete(key);
  }
}
