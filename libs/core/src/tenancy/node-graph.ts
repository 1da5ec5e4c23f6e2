/**
 * Kubernetes' node authorizer graph (plugin/pkg/auth/authorizer/node), as a pure check: a
 * node may read a ConfigMap, Secret or ServiceAccount — and request a token for a
 * ServiceAccount — only when a pod bound to it refers to it: env[].valueFrom, envFrom,
 * volumes (configMap, secret, projected sources), imagePullSecrets, serviceAccountName.
 */
import type { KubeObject } from '../api/types';
import { arr, obj, str, type JsonObject } from '../resources/util';

export type NodeGraphResource = 'configmaps' | 'secrets' | 'serviceaccounts';

export const NODE_GRAPH_RESOURCES: ReadonlySet<string> = new Set<NodeGraphResource>([
  'configmaps',
  'secrets',
  'serviceaccounts',
]);

/** What one pod refers to, by resource. */
export function podReferences(pod: KubeObject): Record<NodeGraphResource, Set<string>> {
  const refs = {
    configmaps: new Set<string>(),
    secrets: new Set<string>(),
    serviceaccounts: new Set<string>(),
  };
  const add = (set: Set<string>, v: unknown) => {
    if (typeof v === 'string' && v) set.add(v);
  };
  const spec = obj(pod.spec);
  add(refs.serviceaccounts, str(spec.serviceAccountName) || 'default');
  for (const s of arr(spec.imagePullSecrets)) add(refs.secrets, obj(s).name);
  const containers = [
    ...arr(spec.initContainers),
    ...arr(spec.containers),
    ...arr(spec.ephemeralContainers),
  ];
  for (const raw of containers) {
    const c = obj(raw);
    for (const e of arr(c.env)) {
      const from = obj(obj(e).valueFrom);
      add(refs.configmaps, obj(from.configMapKeyRef).name);
      add(refs.secrets, obj(from.secretKeyRef).name);
    }
    for (const e of arr(c.envFrom)) {
      add(refs.configmaps, obj(obj(e).configMapRef).name);
      add(refs.secrets, obj(obj(e).secretRef).name);
    }
  }
  for (const raw of arr(spec.volumes)) {
    const v: JsonObject = obj(raw);
    add(refs.configmaps, obj(v.configMap).name);
    add(refs.secrets, obj(v.secret).secretName);
    for (const s of arr(obj(v.projected).sources)) {
      add(refs.configmaps, obj(obj(s).configMap).name);
      add(refs.secrets, obj(obj(s).secret).name);
    }
    // Volumes that name a secret for their driver.
    for (const key of ['azureFile', 'cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO']) {
      const src = obj(v[key]);
      add(refs.secrets, src.secretName ?? obj(src.secretRef).name);
    }
  }
  return refs;
}

/**
 * Whether `nodeName` may read `resource` `namespace/name`, given the pods of that
 * namespace: undefined when a pod bound to the node refers to it, else why not.
 */
export function nodeGraphDenial(
  nodeName: string,
  resource: NodeGraphResource,
  namespace: string,
  name: string,
  pods: readonly KubeObject[],
): string | undefined {
  for (const pod of pods) {
    if (str(obj(pod.spec).nodeName) !== nodeName) continue;
    if (str(obj(pod.metadata).namespace) !== namespace) continue;
    if (podReferences(pod)[resource].has(name)) return undefined;
  }
  const singular = resource.slice(0, -1);
  return `no relationship found between node '${nodeName}' and this object: node "${nodeName}" may only read the ${resource} that pods bound to it refer to, and no such pod refers to ${singular} "${namespace}/${name}"`;
}
