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

/** Bare varints, for packed repeated fields. */
function pbVarints(...values: number[]): Bytes {
  return values.flatMap((v) => {
    const out: Bytes = [];
    let x = v;
    while (x >= 0x80) {
      out.push((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(x);
    return out;
  });
}

describe('decodeKubernetesProtobuf: kinds', () => {
  it('decodes a Pod with volumes, security contexts, affinity and status', () => {
    const raw = [
      ...meta('p', 'demo'),
      ...pb.message(
        2,
        pb.message(1, pb.string(1, 'scratch'), pb.message(2, pb.message(2))),
        pb.message(
          1,
          pb.string(1, 'cfg'),
          pb.message(
            2,
            pb.message(
              19,
              pb.message(1, pb.string(1, 'app-config')),
              pb.message(2, pb.string(1, 'a.yaml'), pb.string(2, 'a.yaml')),
              pb.int(3, 0o644),
            ),
          ),
        ),
        pb.message(
          1,
          pb.string(1, 'token'),
          pb.message(
            2,
            pb.message(
              26,
              pb.message(
                1,
                pb.message(4, pb.string(1, 'api'), pb.int(2, 3600), pb.string(3, 'token')),
              ),
            ),
          ),
        ),
        pb.message(
          1,
          pb.string(1, 'data'),
          pb.message(2, pb.message(10, pb.string(1, 'pvc-1'), pb.bool(2, false))),
        ),
        pb.message(
          2,
          pb.string(1, 'main'),
          pb.string(2, 'busybox'),
          pb.message(9, pb.string(1, 'cfg'), pb.bool(2, true), pb.string(3, '/etc/app')),
          pb.message(
            15,
            pb.message(1, pb.string(2, 'ALL')),
            pb.int(4, 1000),
            pb.bool(5, false),
            pb.bool(7, false),
            pb.message(11, pb.string(1, 'RuntimeDefault')),
          ),
          pb.message(19, pb.string(1, 'CFG_'), pb.message(2, pb.message(1, pb.string(1, 'env')))),
          pb.message(12, pb.message(2, pb.message(4, pb.int(1, 5)))),
        ),
        pb.message(20, pb.string(1, 'init'), pb.string(2, 'busybox'), pb.string(24, 'Always')),
        pb.string(3, 'Never'),
        pb.int(5, 60),
        pb.string(10, 'node-1'),
        pb.bool(11, true),
        pb.message(
          14,
          pb.int(2, 1000),
          // supplementalGroups, once packed (proto3 style) and once not
          pb.bytes(4, [...pbVarints(1, 2)]),
          pb.int(4, 3),
          pb.int(5, 2000),
          pb.message(7, pb.string(1, 'net.ipv4.ip_forward'), pb.string(2, '1')),
        ),
        pb.message(15, pb.string(1, 'regcred')),
        pb.string(16, 'p'),
        pb.string(17, 'sub'),
        pb.message(
          18,
          pb.message(
            1,
            pb.message(
              1,
              pb.message(
                1,
                pb.message(1, pb.string(1, 'zone'), pb.string(2, 'In'), pb.string(3, 'a')),
              ),
            ),
          ),
          pb.message(
            3,
            pb.message(
              2,
              pb.int(1, 50),
              pb.message(
                2,
                pb.message(1, pb.entry(1, 'app', 'p')),
                pb.string(3, 'kubernetes.io/hostname'),
              ),
            ),
          ),
        ),
        pb.message(23, pb.string(1, '10.0.0.1'), pb.string(2, 'db'), pb.string(2, 'db.local')),
        pb.message(
          26,
          pb.string(1, '1.1.1.1'),
          pb.message(3, pb.string(1, 'ndots'), pb.string(2, '2')),
        ),
        pb.message(28, pb.string(1, 'example.com/ready')),
        pb.bool(30, false),
        pb.message(33, pb.int(1, 1), pb.string(2, 'zone'), pb.string(3, 'DoNotSchedule')),
        pb.message(36, pb.string(1, 'linux')),
        pb.message(38, pb.string(1, 'wait')),
      ),
      ...pb.message(
        3,
        pb.string(1, 'Running'),
        pb.message(2, pb.string(1, 'Ready'), pb.string(2, 'True'), pb.bytes(3, []), pb.time(4, 0)),
        pb.string(6, '10.244.0.5'),
        pb.time(7, 1700000000),
        pb.message(12, pb.string(1, '10.244.0.5')),
        pb.string(9, 'Burstable'),
      ),
    ];
    expect(decode(k8s('v1', 'Pod', raw))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'demo' },
      spec: {
        volumes: [
          { name: 'scratch', emptyDir: {} },
          {
            name: 'cfg',
            configMap: {
              name: 'app-config',
              items: [{ key: 'a.yaml', path: 'a.yaml' }],
              defaultMode: 420,
            },
          },
          {
            name: 'token',
            projected: {
              sources: [
                {
                  serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' },
                },
              ],
            },
          },
          { name: 'data', persistentVolumeClaim: { claimName: 'pvc-1' } },
        ],
        containers: [
          {
            name: 'main',
            image: 'busybox',
            volumeMounts: [{ name: 'cfg', readOnly: true, mountPath: '/etc/app' }],
            securityContext: {
              capabilities: { drop: ['ALL'] },
              runAsUser: 1000,
              runAsNonRoot: false,
              allowPrivilegeEscalation: false,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'env' } }],
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox', restartPolicy: 'Always' }],
        restartPolicy: 'Never',
        activeDeadlineSeconds: 60,
        nodeName: 'node-1',
        hostNetwork: true,
        securityContext: {
          runAsUser: 1000,
          supplementalGroups: [1, 2, 3],
          fsGroup: 2000,
          sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }],
        },
        imagePullSecrets: [{ name: 'regcred' }],
        hostname: 'p',
        subdomain: 'sub',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
              ],
            },
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 50,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'p' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['db', 'db.local'] }],
        dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
        readinessGates: [{ conditionType: 'example.com/ready' }],
        enableServiceLinks: false,
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
        os: { name: 'linux' },
        schedulingGates: [{ name: 'wait' }],
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '1970-01-01T00:00:00Z' }],
        podIP: '10.244.0.5',
        startTime: '2023-11-14T22:13:20Z',
        podIPs: [{ ip: '10.244.0.5' }],
        qosClass: 'Burstable',
      },
    });
  });
});
