import type { KubeObject } from '../api/types';
import { serviceDefinition } from './index';

const now = new Date('2024-05-01T12:00:00Z');

function service(spec: Record<string, unknown>, rest: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:59:55Z' },
    spec,
    ...rest,
  };
}

describe('Service', () => {
  it('has core/v1 discovery data', () => {
    expect(serviceDefinition).toMatchObject({
      kind: 'Service',
      plural: 'services',
      singular: 'service',
      shortNames: ['svc'],
      categories: ['all'],
      namespaced: true,
      hasStatus: true,
    });
  });

  it('fills defaults', () => {
    const out = serviceDefinition.applyDefaults(
      service({
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80 },
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
        ],
      }),
    );
    expect(out.spec).toEqual({
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
    });
    const np = serviceDefinition.applyDefaults(
      service({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80 }] }),
    );
    expect(np.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', clusterIPs: ['10.96.0.10'] });
  });

  it('accepts valid services, including headless ones without ports', () => {
    expect(
      serviceDefinition.validate(service({ ports: [{ port: 80, targetPort: 'http' }] })),
    ).toEqual([]);
    expect(
      serviceDefinition.validate(service({ clusterIP: 'None', selector: { app: 'db' } })),
    ).toEqual([]);
    expect(
      serviceDefinition.validate(service({ type: 'ExternalName', externalName: 'db.example.com' })),
    ).toEqual([]);
  });

  it('checks ports', () => {
    const causes = serviceDefinition.validate(
      service({
        type: 'ClusterIP',
        ports: [
          { name: 'http', port: 80, nodePort: 30080 },
          { name: 'http', port: 70000, targetPort: 0 },
          { port: 80, targetPort: '8080' },
        ],
      }),
    );
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      ['spec.ports[0].nodePort', "Forbidden: may not be used when `type` is 'ClusterIP'"],
      ['spec.ports[1].name', 'Duplicate value: "http"'],
      ['spec.ports[1].port', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
      ['spec.ports[2].name', 'Required value'],
      ['spec.ports[2]', 'Duplicate value: {"port":80,"protocol":"TCP"}'],
      ['spec.ports[2].targetPort', 'Invalid value: "8080": must be between 1 and 65535, inclusive'],
    ]);
    expect(serviceDefinition.validate(service({}))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' },
    ]);
  });

  it('checks addresses and names', () => {
    const causes = serviceDefinition.validate(
      service(
        { clusterIP: '10.0.0.300', externalIPs: ['1.2.3.4', 'nope'], ports: [{ port: 80 }] },
        { metadata: { name: '1web', namespace: 'default' } },
      ),
    );
    expect(causes.map((c) => c.field)).toEqual([
      'metadata.name',
      'spec.clusterIP',
      'spec.externalIPs[1]',
    ]);
    expect(causes[0]!.message).toMatch(/a DNS-1035 label must consist of/);
    expect(
      serviceDefinition.validate(service({ clusterIP: 'fd00::10', ports: [{ port: 80 }] })),
    ).toEqual([]);
  });

  it('keeps the cluster IP once set', () => {
    const old = service({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
    expect(
      serviceDefinition.validate(service({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] }), old),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIP',
        message: 'Invalid value: "10.96.0.11": field is immutable',
      },
    ]);
    expect(
      serviceDefinition.validate(service({ clusterIP: '10.96.0.10', ports: [{ port: 81 }] }), old),
    ).toEqual([]);
  });

  it('prints like kubectl get svc -o wide', () => {
    expect(serviceDefinition.table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    const o = serviceDefinition.applyDefaults(
      service({
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        selector: { app: 'web', tier: 'front' },
        ports: [{ port: 80, nodePort: 30080 }, { port: 443 }],
      }),
    );
    expect(serviceDefinition.table.row(o, now)).toEqual([
      'web',
      'NodePort',
      '10.96.0.10',
      '<none>',
      '80:30080/TCP,443/TCP',
      '5s',
      'app=web,tier=front',
    ]);
    const lb = service({ type: 'LoadBalancer', ports: [{ port: 80 }] });
    expect(serviceDefinition.table.row(lb, now).slice(2, 5)).toEqual([
      '<none>',
      '<pending>',
      '80/TCP',
    ]);
    lb.status = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
    expect(serviceDefinition.table.row(lb, now)[3]).toBe('203.0.113.7');
    const ext = service({ type: 'ExternalName', externalName: 'db.example.com' });
    expect(serviceDefinition.table.row(ext, now).slice(3, 5)).toEqual(['db.example.com', '<none>']);
  });
});
