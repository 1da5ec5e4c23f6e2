/**
 * The service account admission's token volume (kube-apiserver's
 * plugin/pkg/admission/serviceaccount, mountServiceAccountToken): unless the pod (first)
 * or its ServiceAccount says `automountServiceAccountToken: false`, the pod gets a
 * projected volume `kube-api-access-<5 random characters>` with a bound token, the
 * cluster CA (`kube-root-ca.crt`) and the namespace, mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every init and regular container that
 * has no mount at that path yet. Pure: the random part comes from the caller.
 */
import type { KubeObject } from '../api/types';
import { arr, obj, str, type JsonObject } from '../resources/util';

export const API_ACCESS_VOLUME_PREFIX = 'kube-api-access-';
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap every namespace holds with the CA bundle that verifies the API server. */
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
export const ROOT_CA_KEY = 'ca.crt';
/**
 * The token's requested lifetime: kube-apiserver's WarnOnlyBoundTokenExpirationSeconds
 * (one hour and 7 seconds, the odd value marking tokens the admission asked for).
 */
export const API_ACCESS_TOKEN_SECONDS = 3607;
/** 0644. */
const DEFAULT_MODE = 420;
/** utilrand.String's alphabet (no vowels, no look-alikes). */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume the admission adds, named `name`. */
export function apiAccessVolume(name: string): JsonObject {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: API_ACCESS_TOKEN_SECONDS, path: 'token' } },
        {
          configMap: {
            name: ROOT_CA_CONFIG_MAP,
            items: [{ key: ROOT_CA_KEY, path: ROOT_CA_KEY }],
          },
        },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
      defaultMode: DEFAULT_MODE,
    },
  };
}

/** shouldAutomount: the pod's `automountServiceAccountToken` wins, then the account's, else true. */
export function shouldAutomountToken(pod: KubeObject, account: KubeObject | undefined): boolean {
  const own = obj(pod.spec).automountServiceAccountToken;
  if (typeof own === 'boolean') return own;
  const accounts = (account as { automountServiceAccountToken?: unknown } | undefined)
    ?.automountServiceAccountToken;
  return typeof accounts === 'boolean' ? accounts : true;
}

/**
 * Adds the token volume and its mounts to `pod` (in place) when it should automount;
 * `suffix()` gives 5 random characters. A volume already named `kube-api-access-…` is
 * reused. Answers whether anything changed.
 */
export function mountServiceAccountToken(
  pod: KubeObject,
  account: KubeObject | undefined,
  suffix: () => string,
): boolean {
  if (!shouldAutomountToken(pod, account)) return false;
  const spec = obj(pod.spec);
  const volumes = arr(spec.volumes).map(obj);
  // Any volume named with the prefix is taken for it, so a drawn name never clashes.
  const existing = volumes.find((v) => str(v.name).startsWith(API_ACCESS_VOLUME_PREFIX));
  const name = existing ? str(existing.name) : API_ACCESS_VOLUME_PREFIX + suffix();
  let needed = false;
  for (const field of ['initContainers', 'containers'] as const) {
    for (const raw of arr(spec[field])) {
      const container = obj(raw);
      const mounts = arr(container.volumeMounts).map(obj);
      if (mounts.some((m) => str(m.mountPath) === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
      container.volumeMounts = [
        ...mounts,
        { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
      ];
      needed = true;
    }
  }
  if (needed && !existing) spec.volumes = [...volumes, apiAccessVolume(name)];
  return needed;
}

/** 5 characters of utilrand.String's alphabet from `random()` in [0, 1). */
export function nameSuffix(random: () => number, length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++)
    out += NAME_SUFFIX_ALPHABET[Math.floor(random() * NAME_SUFFIX_ALPHABET.length)];
  return out;
}
