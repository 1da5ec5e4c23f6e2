import { decodeKubernetesProtobuf } from './decode';
import { k8s, pb, type Bytes } from './test-helpers';

const decode = decodeKubernetesProtobuf;

/** ObjectMeta as Go writes it: every non-pointer field present, empty or not. */
const meta = (name: string, namespace = '', ...more: Bytes[]): Bytes =>
  pb.message(
    1,
    pb.string(1, name),
    pb.string(2, ''),
    pb.string(3, namespace),
    pb.string(4, ''),
    pb.string(5, ''),
    pb.string(6, ''),
    pb.int(7, 0),
    pb.bytes(8, []),
    ...more,
  );

describe('decodeKubernetesProtobuf: kinds', () => {
  it('decodes a Deployment with strategy, selector expressions, probes, env and resources', () => {
    const container = [
      pb.string(1, 'app'),
      pb.string(2, 'nginx:1.25'),
      pb.string(3, 'nginx'),
      pb.string(4, '-g'),
      pb.string(4, 'daemon off;'),
      pb.string(5, ''),
      pb.message(6, pb.string(1, 'http'), pb.int(2, 0), pb.int(3, 8080), pb.string(4, 'TCP')),
      pb.message(7, pb.string(1, 'MODE'), pb.string(2, 'prod')),
      pb.message(
        7,
        pb.string(1, 'POD'),
        pb.string(2, ''),
        pb.message(3, pb.message(1, pb.string(1, 'v1'), pb.string(2, 'metadata.name'))),
      ),
      pb.message(
        7,
        pb.string(1, 'PASSWORD'),
        pb.message(3, pb.message(4, pb.message(1, pb.string(1, 'db')), pb.string(2, 'pw'))),
      ),
      pb.message(
        8,
        pb.quantityEntry(1, 'cpu', '500m'),
        pb.quantityEntry(1, 'memory', '256Mi'),
        pb.quantityEntry(2, 'cpu', '250m'),
      ),
      pb.message(
        10,
        pb.message(
          1,
          pb.message(2, pb.string(1, '/healthz'), pb.intOrString(2, 'http'), pb.string(4, 'HTTP')),
        ),
        pb.int(2, 5),
        pb.int(3, 0),
        pb.int(4, 10),
      ),
      pb.message(11, pb.message(1, pb.message(3, pb.intOrString(1, 8080))), pb.int(3, 1)),
      pb.message(
        22,
        pb.message(1, pb.message(1, pb.string(1, 'cat'), pb.string(1, '/tmp/ready'))),
        pb.int(6, 30),
        pb.int(7, 0),
      ),
      pb.string(13, '/dev/termination-log'),
      pb.string(14, 'IfNotPresent'),
      pb.bool(16, false),
      pb.string(20, 'File'),
    ];
    const raw = [
      ...meta('web', 'demo', pb.entry(11, 'app', 'web'), pb.time(8, 1714564800)),
      ...pb.message(
        2,
        pb.int(1, 0),
        pb.message(
          2,
          pb.entry(1, 'app', 'web'),
          pb.message(
            2,
            pb.string(1, 'tier'),
            pb.string(2, 'In'),
            pb.string(3, 'a'),
            pb.string(3, 'b'),
          ),
        ),
        pb.message(
          3,
          pb.message(1, pb.entry(11, 'app', 'web'), pb.bytes(8, [])),
          pb.message(
            2,
            pb.message(2, ...container),
            pb.string(3, 'Always'),
            pb.int(4, 30),
            pb.string(6, 'ClusterFirst'),
            pb.entry(7, 'disk', 'ssd'),
            pb.string(8, 'builder'),
            pb.bool(11, false),
            pb.string(19, 'default-scheduler'),
            pb.bool(21, false),
            pb.message(
              22,
              pb.string(1, 'dedicated'),
              pb.string(2, 'Equal'),
              pb.string(3, 'web'),
              pb.string(4, 'NoExecute'),
              pb.int(5, 300),
            ),
            pb.string(24, 'high'),
            pb.int(25, 1000),
          ),
        ),
        pb.message(
          4,
          pb.string(1, 'RollingUpdate'),
          pb.message(2, pb.intOrString(1, 0), pb.intOrString(2, '25%')),
        ),
        pb.int(5, 0),
        pb.int(6, 10),
        pb.bool(7, true),
        pb.int(9, 600),
      ),
      ...pb.message(3, pb.int(1, 0), pb.int(2, 0)),
    ];
    expect(decode(k8s('apps/v1', 'Deployment', raw))).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'demo',
        labels: { app: 'web' },
        creationTimestamp: '2024-05-01T12:00:00Z',
      },
      spec: {
        replicas: 0,
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
        },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'nginx:1.25',
                command: ['nginx'],
                args: ['-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [
                  { name: 'MODE', value: 'prod' },
                  {
                    name: 'POD',
                    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
                  },
                  { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } },
                ],
                resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m' } },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                },
                readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1 },
                startupProbe: {
                  exec: { command: ['cat', '/tmp/ready'] },
                  failureThreshold: 30,
                  terminationGracePeriodSeconds: 0,
                },
                terminationMessagePath: '/dev/termination-log',
                imagePullPolicy: 'IfNotPresent',
                terminationMessagePolicy: 'File',
              },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            nodeSelector: { disk: 'ssd' },
            serviceAccountName: 'builder',
            schedulerName: 'default-scheduler',
            automountServiceAccountToken: false,
            tolerations: [
              {
                key: 'dedicated',
                operator: 'Equal',
                value: 'web',
                effect: 'NoExecute',
                tolerationSeconds: 300,
              },
            ],
            priorityClassName: 'high',
            priority: 1000,
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        paused: true,
        progressDeadlineSeconds: 600,
      },
      status: {},
    });
  });
  it('decodes a Service with a named target port, session affinity and dual-stack fields', () => {
    const raw = [
      ...meta('web', 'demo'),
      ...pb.message(
        2,
        pb.message(
          1,
          pb.string(1, 'https'),
          pb.string(2, 'TCP'),
          pb.int(3, 443),
          pb.intOrString(4, 'https'),
          pb.int(5, 0),
          pb.string(6, ''),
        ),
        pb.entry(2, 'app', 'web'),
        pb.string(3, 'None'),
        pb.string(4, 'ClusterIP'),
        pb.string(7, 'ClientIP'),
        pb.string(11, ''),
        pb.int(12, 0),
        pb.bool(13, true),
        pb.message(14, pb.message(1, pb.int(1, 10800))),
        pb.string(17, 'PreferDualStack'),
        pb.string(18, 'None'),
        pb.string(19, 'IPv4'),
        pb.string(19, 'IPv6'),
        pb.bool(20, false),
        pb.string(22, 'Cluster'),
      ),
      ...pb.message(3, pb.message(1)),
    ];
    expect(decode(k8s('v1', 'Service', raw))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'demo' },
      spec: {
        ports: [
          { name: 'https', protocol: 'TCP', port: 443, targetPort: 'https', appProtocol: '' },
        ],
        selector: { app: 'web' },
        clusterIP: 'None',
        type: 'ClusterIP',
        sessionAffinity: 'ClientIP',
        publishNotReadyAddresses: true,
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ipFamilyPolicy: 'PreferDualStack',
        clusterIPs: ['None'],
        ipFamilies: ['IPv4', 'IPv6'],
        allocateLoadBalancerNodePorts: false,
        internalTrafficPolicy: 'Cluster',
      },
      status: { loadBalancer: {} },
    });
  });

  it('decodes a Namespace, a ResourceQuota with a scope selector and a LimitRange', () => {
    const ns = [
      ...meta('team-a', '', pb.entry(12, 'owner', 'alice'), pb.string(14, 'example.com/cleanup')),
      ...pb.message(2, pb.string(1, 'kubernetes')),
      ...pb.message(3, pb.string(1, 'Active')),
    ];
    expect(decode(k8s('v1', 'Namespace', ns))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        annotations: { owner: 'alice' },
        finalizers: ['example.com/cleanup'],
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });

    const quota = [
      ...meta('q', 'team-a'),
      ...pb.message(
        2,
        pb.quantityEntry(1, 'requests.cpu', '4'),
        pb.quantityEntry(1, 'count/deployments.apps', '10'),
        pb.message(
          3,
          pb.message(1, pb.string(1, 'PriorityClass'), pb.string(2, 'In'), pb.string(3, 'high')),
        ),
      ),
      ...pb.message(3, pb.quantityEntry(2, 'requests.cpu', '1500m')),
    ];
    expect(decode(k8s('v1', 'ResourceQuota', quota))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q', namespace: 'team-a' },
      spec: {
        hard: { 'requests.cpu': '4', 'count/deployments.apps': '10' },
        scopeSelector: {
          matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }],
        },
      },
      status: { used: { 'requests.cpu': '1500m' } },
    });

    const limits = [
      ...meta('lr', 'team-a'),
      ...pb.message(
        2,
        pb.message(
          1,
          pb.string(1, 'Container'),
          pb.quantityEntry(2, 'memory', '1Gi'),
          pb.quantityEntry(4, 'cpu', '500m'),
          pb.quantityEntry(5, 'cpu', '100m'),
          pb.quantityEntry(6, 'cpu', '4'),
        ),
      ),
    ];
    expect(decode(k8s('v1', 'LimitRange', limits))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'lr', namespace: 'team-a' },
      spec: {
        limits: [
          {
            type: 'Container',
            max: { memory: '1Gi' },
            default: { cpu: '500m' },
            defaultRequest: { cpu: '100m' },
            maxLimitRequestRatio: { cpu: '4' },
          },
        ],
      },
    });
  });

  it('decodes a ReplicaSet with owner references', () => {
    const raw = [
      ...meta(
        'web-7c5b',
        'demo',
        pb.message(
          13,
          pb.string(1, 'Deployment'),
          pb.string(3, 'web'),
          pb.string(4, 'uid-1'),
          pb.string(5, 'apps/v1'),
          pb.bool(6, true),
          pb.bool(7, true),
        ),
        pb.int(10, 0),
      ),
      ...pb.message(
        2,
        pb.int(1, 2),
        pb.message(2, pb.entry(1, 'pod-template-hash', '7c5b')),
        pb.message(
          3,
          pb.message(1),
          pb.message(2, pb.message(2, pb.string(1, 'c'), pb.string(2, 'i'))),
        ),
        pb.int(4, 0),
      ),
      ...pb.message(3, pb.int(1, 0), pb.int(3, 4)),
    ];
    expect(decode(k8s('apps/v1', 'ReplicaSet', raw))).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7c5b',
        namespace: 'demo',
        ownerReferences: [
          {
            kind: 'Deployment',
            name: 'web',
            uid: 'uid-1',
            apiVersion: 'apps/v1',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        deletionGracePeriodSeconds: 0,
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'pod-template-hash': '7c5b' } },
        template: { metadata: {}, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
      status: { replicas: 0, observedGeneration: 4 },
    });
  });

  it('decodes a SelfSubjectAccessReview with selector attributes', () => {
    const raw = [
      ...pb.message(1),
      ...pb.message(
        2,
        pb.message(
          1,
          pb.string(1, 'demo'),
          pb.string(2, 'list'),
          pb.string(5, 'pods'),
          pb.message(9, pb.string(1, 'app=web')),
          pb.message(
            8,
            pb.message(2, pb.string(1, 'spec.nodeName'), pb.string(2, 'In'), pb.string(3, 'n1')),
          ),
        ),
      ),
    ];
    expect(decode(k8s('authorization.k8s.io/v1', 'SelfSubjectAccessReview', raw))).toStrictEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: 'demo',
          verb: 'list',
          resource: 'pods',
          labelSelector: { rawSelector: 'app=web' },
          fieldSelector: {
            requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }],
          },
        },
      },
    });
  });
});
