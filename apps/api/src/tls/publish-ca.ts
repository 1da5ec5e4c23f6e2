import { X509Certificate } from 'node:crypto';
import {
  API_SERVER_CA_CONFIG_MAP,
  API_SERVER_CA_NAMESPACE,
  configMapDefinition,
  isAlreadyExists,
  isConflict,
  isNotFound,
  servingCaKey,
  withServingCa,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';

const WRITE = { dryRun: false, fieldValidation: 'Ignore' } as const;

/**
 * Publishes the CA that signed this replica's serving certificate into
 * `kube-system/berth-apiserver-ca` (one key per CA), at start. Replicas with TLS material
 * of their own each add theirs; the worker's root CA publisher puts the bundle of them
 * all into every namespace's `kube-root-ca.crt`, so a pod verifies whichever replica it
 * reaches. Only cluster admins write in kube-system. Retried on a racing replica's write.
 */
export async function publishServingCa(registry: Registry, caCertPem: string): Promise<void> {
  const key = servingCaKey(new X509Certificate(caCertPem).fingerprint256);
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await registry
      .get(configMapDefinition, API_SERVER_CA_NAMESPACE, API_SERVER_CA_CONFIG_MAP)
      .catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    const data = withServingCa(current, key, caCertPem);
    if (!data) return;
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        ...(current?.metadata ?? {}),
        name: API_SERVER_CA_CONFIG_MAP,
        namespace: API_SERVER_CA_NAMESPACE,
      },
      data,
    } as KubeObject;
    try {
      if (current)
        await registry.update(
          configMapDefinition,
          API_SERVER_CA_NAMESPACE,
          API_SERVER_CA_CONFIG_MAP,
          object,
          '',
          WRITE,
        );
      else await registry.create(configMapDefinition, API_SERVER_CA_NAMESPACE, object, WRITE);
      return;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) throw err;
    }
  }
  throw new Error(
    `could not publish the serving CA into ${API_SERVER_CA_NAMESPACE}/${API_SERVER_CA_CONFIG_MAP}`,
  );
}
