import type { KubeObject } from '../api/types';
import { desiredEndpoints, endpointsSubsets } from './endpoints';

function svc(spec: object, name = 'web'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'a', labels: { tier: 'front' } },
    spec,
  };
}

function pod(
  name: string,
  opts: {
    ip?: string;
    ready?: boolean;
    labels?: Record<string, string>;
    phase?: string;
    ports?: object[];
    ns?: string;
    deleting?: boolean;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'a',
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'n1',
      containers: [
        { name: 'c', image: 'x', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] },
      ],
    },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ip === undefined
        ? { podIP: `10.0.0.${name.length}` }
        : opts.ip
          ? { podIP: opts.ip }
          : {}),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const ref = (name: string) => ({ kind: 'Pod', namespace: 'a', name, uid: `uid-${name}` });

describe('endpoints controller decision', () => {
  it('uses the node port a runtime published a container port on (process runtime pods share the node address)', () => {
    const s = svc({
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    const published = (name: string, hostPort: number): KubeObject => {
      const p = pod(name, { ip: '192.168.1.5' });
      (p.status as { containerStatuses?: object[] }).containerStatuses = [
        {
          name: 'c',
          hostPorts: [{ containerPort: 8080, hostPort, name: 'http', protocol: 'TCP' }],
        },
      ];
      return p;
    };
    expect(endpointsSubsets(s, [published('a', 40001), published('b', 40002)])).toEqual([
      {
        addresses: [{ ip: '192.168.1.5', nodeName: 'n1', targetRef: ref('a') }],
        ports: [{ name: 'http', port: 40001, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '192.168.1.5', nodeName: 'n1', targetRef: ref('b') }],
        ports: [{ name: 'http', port: 40002, protocol: 'TCP' }],
      },
    ]);
  });

  it('puts ready pods in addresses and the others in notReadyAddresses, resolving named target ports', () => {
    const s = svc({
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    const subsets = endpointsSubsets(s, [
      pod('p1', { ip: '10.0.0.2' }),
      pod('p2', { ip: '10.0.0.1' }),
      pod('p3', { ip: '10.0.0.3', ready: false }),
      pod('other', { ip: '10.0.0.9', labels: { app: 'db' } }),
      pod('done', { ip: '10.0.0.8', phase: 'Succeeded' }),
      pod('noip', { ip: '' }),
      pod('gone', { ip: '10.0.0.7', deleting: true }),
      pod('elsewhere', { ip: '10.0.0.6', ns: 'b' }),
    ]);
    expect(subsets).toEqual([
      {
        addresses: [
          { ip: '10.0.0.1', nodeName: 'n1', targetRef: ref('p2') },
          { ip: '10.0.0.2', nodeName: 'n1', targetRef: ref('p1') },
        ],
        notReadyAddresses: [{ ip: '10.0.0.3', nodeName: 'n1', targetRef: ref('p3') }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('groups pods by the ports they resolve to, and leaves out pods without the named port', () => {
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] });
    const subsets = endpointsSubsets(s, [
      pod('a', { ip: '10.0.0.1', ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { ip: '10.0.0.2', ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('c', { ip: '10.0.0.3', ports: [{ name: 'metrics', containerPort: 9100 }] }),
    ]);
    expect(subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: ref('a') }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '10.0.0.2', nodeName: 'n1', targetRef: ref('b') }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  it('uses numeric target ports (or the port itself) and honours publishNotReadyAddresses', () => {
    const s = svc({
      selector: { app: 'web' },
      publishNotReadyAddresses: true,
      ports: [{ port: 80 }],
    });
    expect(endpointsSubsets(s, [pod('x', { ip: '10.0.0.1', ready: false })])).toEqual([
      {
        addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: ref('x') }],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    ]);
  });

  it('leaves Services without a selector to their users, and labels what it manages', () => {
    expect(desiredEndpoints(svc({ ports: [{ port: 80 }] }), [pod('x')])).toBeUndefined();
    const e = desiredEndpoints(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }), []);
    expect(e).toMatchObject({
      kind: 'Endpoints',
      metadata: {
        name: 'web',
        namespace: 'a',
        labels: { tier: 'front', 'endpoints.berth.dev/managed-by': 'endpoint-controller' },
      },
      subsets: [],
    });
  });
});
