/**
 * Real-world manifests, as `kubectl apply` sends them (JSON of typical YAML), must pass the
 * schema without unknown fields or errors, and validate after defaulting.
 */
import { findResourceByKind } from './index';

const manifests: Record<string, unknown>[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'nginx',
      namespace: 'web',
      labels: { 'app.kubernetes.io/name': 'nginx' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration':
          '{"apiVersion":"apps/v1","kind":"Deployment"}\n',
      },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'nginx' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '0%' } },
      template: {
        metadata: {
          labels: { 'app.kubernetes.io/name': 'nginx' },
          annotations: { 'prometheus.io/scrape': 'true' },
        },
        spec: {
          serviceAccountName: 'nginx',
          securityContext: {
            runAsNonRoot: true,
            fsGroup: 101,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'nginx' } },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          tolerations: [
            { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          initContainers: [
            {
              name: 'wait',
              image: 'busybox:1.36',
              command: ['sh', '-c', 'until nslookup db; do sleep 2; done'],
            },
          ],
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25.3',
              imagePullPolicy: 'IfNotPresent',
              args: ['-g', 'daemon off;'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [
                { name: 'TZ', value: 'UTC' },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              ],
              envFrom: [
                { configMapRef: { name: 'nginx-env' } },
                { prefix: 'S_', secretRef: { name: 'nginx', optional: true } },
              ],
              resources: {
                requests: { cpu: '100m', memory: '64Mi' },
                limits: { cpu: 1, memory: '256Mi' },
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                initialDelaySeconds: 5,
                periodSeconds: 10,
              },
              readinessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 3 },
              startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
              lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
              volumeMounts: [
                { name: 'cache', mountPath: '/var/cache/nginx' },
                { name: 'conf', mountPath: '/etc/nginx/conf.d', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
            {
              name: 'conf',
              configMap: {
                name: 'nginx-conf',
                items: [{ key: 'default.conf', path: 'default.conf' }],
              },
            },
          ],
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: {} },
            },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nginx', namespace: 'web' },
    spec: {
      type: 'NodePort',
      selector: { 'app.kubernetes.io/name': 'nginx' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, appProtocol: 'http' }],
      externalTrafficPolicy: 'Local',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'debug',
      namespace: 'default',
      creationTimestamp: null,
      labels: { run: 'debug' },
    },
    spec: {
      containers: [
        {
          name: 'debug',
          image: 'busybox',
          args: ['sleep', '3600'],
          resources: {},
          stdin: true,
          tty: true,
        },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Never',
    },
    status: {},
  },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
    spec: { finalizers: ['kubernetes'] },
  },
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'compute', namespace: 'team-a' },
    spec: {
      hard: {
        'requests.cpu': '4',
        'requests.memory': '8Gi',
        'limits.cpu': 8,
        pods: '20',
        'count/deployments.apps': '10',
      },
      scopeSelector: {
        matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }],
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'defaults', namespace: 'team-a' },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '512Mi' },
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          max: { cpu: '2' },
        },
        { type: 'PersistentVolumeClaim', max: { storage: '10Gi' }, min: { storage: '1Gi' } },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'nginx-7c5b.17c3a1', namespace: 'web' },
    involvedObject: {
      kind: 'Pod',
      namespace: 'web',
      name: 'nginx-7c5b',
      uid: '1b2c',
      apiVersion: 'v1',
      resourceVersion: '42',
    },
    reason: 'Scheduled',
    message: 'Successfully assigned web/nginx-7c5b to node-1',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2024-05-01T11:00:00Z',
    lastTimestamp: '2024-05-01T11:00:00Z',
    count: 1,
    type: 'Normal',
    reportingComponent: 'default-scheduler',
    reportingInstance: '',
  },
  {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'nginx', namespace: 'web' },
    subsets: [
      {
        addresses: [
          {
            ip: '10.244.0.5',
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', name: 'nginx-7c5b', namespace: 'web', uid: '1b2c' },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
    spec: {
      podCIDR: '10.244.0.0/24',
      taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
    },
  },
];

describe('real-world manifests', () => {
  it.each(manifests.map((m) => [m.kind as string, m]))(
    '%s passes schema and validation',
    (_kind, manifest) => {
      const def = findResourceByKind(manifest.apiVersion as string, manifest.kind as string)!;
      const result = def.validateSchema(manifest);
      expect(result.unknownFields).toEqual([]);
      expect(result.causes).toEqual([]);
      expect(def.validate(result.object)).toEqual([]);
      // Defaulting is idempotent: defaults of defaults change nothing.
      expect(def.applyDefaults(result.object)).toEqual(result.object);
      // An update that changes nothing is always allowed.
      expect(def.validate(result.object, result.object)).toEqual([]);
    },
  );
});
