import type { KubeObject } from '../api/types';
import { backendsFor, DEFAULT_AFFINITY_TIMEOUT_SECONDS, proxyRules } from './proxy-rules';

function svc(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec };
}

const endpoints: KubeObject = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'web', namespace: 'ns' },
  subsets: [
    {
      addresses: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }],
      notReadyAddresses: [{ ip: '10.0.0.9' }],
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
    },
    {
      addresses: [{ ip: '10.0.0.3' }],
      ports: [{ name: 'http', port: 8081, protocol: 'TCP' }],
    },
  ],
} as KubeObject;

describe('proxyRules', () => {
  it('listens on the cluster IP per TCP port, to the ready addresses with the port of the same name', () => {
    const { rules, skipped } = proxyRules(
      svc({
        type: 'ClusterIP',
        clusterIP: '127.96.0.10',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      }),
      endpoints,
      '192.168.1.5',
    );
    expect(rules).toEqual([
      {
        servicePort: 'ns/web:http',
        listen: [{ address: '127.96.0.10', port: 80 }],
        backends: [
          { ip: '10.0.0.1', port: 8080 },
          { ip: '10.0.0.2', port: 8080 },
          { ip: '10.0.0.3', port: 8081 },
        ],
      },
    ]);
    expect(skipped).toEqual([
      { servicePort: 'ns/web:dns', reason: 'UDP is not proxied (TCP only)' },
    ]);
  });

  it('adds the node port on the node address, and the affinity timeout', () => {
    const { rules } = proxyRules(
      svc({
        type: 'NodePort',
        clusterIP: '127.96.0.10',
        sessionAffinity: 'ClientIP',
        ports: [{ name: 'metrics', port: 90, protocol: 'TCP', nodePort: 30090 }],
      }),
      endpoints,
      '192.168.1.5',
    );
    expect(rules).toEqual([
      {
        servicePort: 'ns/web:metrics',
        listen: [
          { address: '127.96.0.10', port: 90 },
          { address: '192.168.1.5', port: 30090 },
        ],
        backends: [
          { ip: '10.0.0.1', port: 9090 },
          { ip: '10.0.0.2', port: 9090 },
        ],
        affinityTimeoutSeconds: DEFAULT_AFFINITY_TIMEOUT_SECONDS,
      },
    ]);
    const custom = proxyRules(
      svc({
        clusterIP: '127.96.0.10',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } },
        ports: [{ port: 80 }],
      }),
      undefined,
      '192.168.1.5',
    );
    expect(custom.rules[0]).toMatchObject({ affinityTimeoutSeconds: 30, backends: [] });
  });

  it('has nothing for headless, ExternalName, or not yet allocated Services', () => {
    const none = (spec: Record<string, unknown>) =>
      proxyRules(svc(spec), endpoints, '1.2.3.4').rules;
    expect(none({ clusterIP: 'None', ports: [{ port: 80 }] })).toEqual([]);
    expect(none({ type: 'ExternalName', externalName: 'x.example' })).toEqual([]);
    expect(none({ ports: [{ port: 80 }] })).toEqual([]);
  });
});

describe('backendsFor', () => {
  it('matches an unnamed port with the unnamed subset port, each address once', () => {
    const ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'x' },
      subsets: [
        { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.1' }], ports: [{ port: 5000 }] },
        { addresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'other', port: 6000 }] },
        { addresses: [{ ip: '10.0.0.3' }] },
      ],
    } as KubeObject;
    expect(backendsFor(ep, '')).toEqual([{ ip: '10.0.0.1', port: 5000 }]);
    expect(backendsFor(ep, 'other')).toEqual([{ ip: '10.0.0.2', port: 6000 }]);
    expect(backendsFor(ep, 'other', 'UDP')).toEqual([]);
  });
});
