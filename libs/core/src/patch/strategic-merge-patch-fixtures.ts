/** Shared by the strategic-merge-patch specs: a stored Deployment and a patching shorthand. */
import { PatchSchema, applyStrategicMergePatch } from './strategic-merge-patch';
import { workloadPatchSchema } from './schemas';
import { frozen } from './test-helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;

export const deploymentSchema = workloadPatchSchema();

/** A Deployment as the API server stores it, defaults and all. */
export function storedDeployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: '5e0c3bde-0a4b-4c39-9f54-3d1f1c1c0a11',
      resourceVersion: '41',
      generation: 2,
      labels: { app: 'web', tier: 'front' },
      annotations: {
        'deployment.kubernetes.io/revision': '2',
        'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}',
      },
      finalizers: ['example.com/protect'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              resources: { limits: { cpu: '500m' } },
              terminationMessagePath: '/dev/termination-log',
            },
            { name: 'sidecar', image: 'busybox:1.36', args: ['sleep', 'infinity'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };
}

export function smp(target: unknown, patch: unknown, schema: PatchSchema = deploymentSchema): Obj {
  return applyStrategicMergePatch(frozen(target), frozen(patch), schema);
}

export function containersOf(d: Obj): Obj[] {
  return d.spec.template.spec.containers;
}

export function names(list: Obj[]): unknown[] {
  return list.map((x) => x.name);
}
