/**
 * Kubernetes' root-ca-cert-publisher, as pure decisions: every active namespace holds the
 * ConfigMap `kube-root-ca.crt` whose `ca.crt` verifies the API server (pods' token volumes
 * project it), written again when deleted or changed.
 *
 * Berth's API replicas may each have TLS material of their own: each publishes its CA at
 * start into `kube-system/berth-apiserver-ca` (one key per CA, by fingerprint), and the
 * bundle is every CA there, so a pod verifies whichever replica it reaches.
 */
import type { KubeObject } from '../api/types';
import { obj, stringMap } from '../resources/util';
import { ROOT_CA_CONFIG_MAP, ROOT_CA_KEY } from '../workloads/api-access-volume';

export const API_SERVER_CA_NAMESPACE = 'kube-system';
export const API_SERVER_CA_CONFIG_MAP = 'berth-apiserver-ca';
export const ROOT_CA_DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** The key a CA is kept under in `berth-apiserver-ca`: its SHA-256 fingerprint (hex). */
export function servingCaKey(fingerprintHex: string): string {
  return `ca-${fingerprintHex.replace(/[^0-9a-fA-F]/g, '').toLowerCase()}.crt`;
}

/**
 * The data `berth-apiserver-ca` should hold once this replica's CA (`pem` under `key`) is
 * in it; undefined when it is there already.
 */
export function withServingCa(
  current: KubeObject | undefined,
  key: string,
  pem: string,
): Record<string, string> | undefined {
  const data = stringMap((current as { data?: unknown } | undefined)?.data);
  const wanted = normalizePem(pem);
  if (data[key] === wanted) return undefined;
  return { ...data, [key]: wanted };
}

function normalizePem(pem: string): string {
  return pem.trim() + '\n';
}

/** The CA bundle: every published CA, in key order; '' when none is published. */
export function caBundle(source: KubeObject | undefined): string {
  const data = stringMap((source as { data?: unknown } | undefined)?.data);
  return Object.keys(data)
    .sort()
    .map((k) => normalizePem(data[k]!))
    .join('');
}

/** `kube-root-ca.crt` of `namespace` with `bundle`. */
export function rootCaConfigMap(namespace: string, bundle: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: ROOT_CA_CONFIG_MAP,
      namespace,
      annotations: { [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
    },
    data: { [ROOT_CA_KEY]: bundle },
  } as KubeObject;
}

/**
 * What the publisher does for one namespace: `create` the ConfigMap, `update` it (the
 * current one with its data and description put back), `recreate` it (delete, then create:
 * someone made it immutable), or nothing (it is right, the namespace is going, or no CA is
 * published yet).
 */
export function decideRootCa(
  namespace: KubeObject | undefined,
  existing: KubeObject | undefined,
  bundle: string,
): { create?: KubeObject; update?: KubeObject; recreate?: KubeObject } {
  const name = namespace?.metadata.name;
  if (!name || !bundle || namespace.metadata.deletionTimestamp) return {};
  if (obj(namespace.status).phase === 'Terminating') return {};
  if (!existing) return { create: rootCaConfigMap(name, bundle) };
  const data = stringMap((existing as { data?: unknown }).data);
  const binary = Object.keys(obj((existing as { binaryData?: unknown }).binaryData));
  const annotations = existing.metadata.annotations ?? {};
  if (
    Object.keys(data).length === 1 &&
    data[ROOT_CA_KEY] === bundle &&
    binary.length === 0 &&
    annotations[ROOT_CA_DESCRIPTION_ANNOTATION] === ROOT_CA_DESCRIPTION
  )
    return {};
  if ((existing as { immutable?: unknown }).immutable === true)
    return { recreate: rootCaConfigMap(name, bundle) };
  const update = structuredClone(existing) as KubeObject & {
    data?: unknown;
    binaryData?: unknown;
  };
  update.data = { [ROOT_CA_KEY]: bundle };
  delete update.binaryData;
  update.metadata.annotations = {
    ...annotations,
    [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION,
  };
  return { update };
}
