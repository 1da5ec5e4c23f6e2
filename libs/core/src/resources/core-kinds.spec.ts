import type { KubeObject } from '../api/types';
import {
  endpointsDefinition,
  eventDefinition,
  limitRangeDefinition,
  namespaceDefinition,
  nodeDefinition,
  resourceQuotaDefinition,
} from './index';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-04-30T12:00:00Z';

describe('Namespace', () => {
  const ns = (name: string, rest: Partial<KubeObject> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, creationTimestamp: created },
    ...rest,
  });

  it('is cluster-scoped with short name ns', () => {
    expect(namespaceDefinition).toMatchObject({
      namespaced: false,
      shortNames: ['ns'],
      plural: 'namespaces',
      hasStatus: true,
    });
  });

  it('defaults the phase to Active and prints it', () => {
    const out = namespaceDefinition.applyDefaults(ns('team-a'));
    expect(out.status).toEqual({ phase: 'Active' });
    expect(namespaceDefinition.table.row(out, now)).toEqual(['team-a', 'Active', '24h']);
    expect(namespaceDefinition.selectableFields(out)).toEqual({ 'status.phase': 'Active' });
  });

  it('requires DNS label names and no namespace', () => {
    expect(namespaceDefinition.validate(ns('team-a'))).toEqual([]);
    expect(namespaceDefinition.validate(ns('team.a')).map((c) => c.field)).toEqual([
      'metadata.name',
    ]);
    expect(
      namespaceDefinition
        .validate({ ...ns('x'), metadata: { name: 'x', namespace: 'y' } })
        .map((c) => c.field),
    ).toEqual(['metadata.namespace']);
  });
});

describe('Node', () => {
  const node = (rest: Partial<KubeObject> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-1',
      creationTimestamp: created,
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
    },
    ...rest,
  });
  const status = {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2024-05-01T11:59:50Z' }],
    addresses: [
      { type: 'InternalIP', address: '192.168.1.10' },
      { type: 'Hostname', address: 'node-1' },
    ],
    nodeInfo: {
      kubeletVersion: 'v1.30.0-berth',
      osImage: 'Debian GNU/Linux 12',
      kernelVersion: '6.1.0',
      containerRuntimeVersion: 'berth://0.1',
    },
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
  };

  it('is cluster-scoped with short name no', () => {
    expect(nodeDefinition).toMatchObject({
      namespaced: false,
      shortNames: ['no'],
      plural: 'nodes',
    });
  });

  it('accepts a node status written by an agent and defaults allocatable', () => {
    const r = nodeDefinition.validateSchema({ ...node(), status });
    expect(r.causes).toEqual([]);
    expect(r.unknownFields).toEqual([]);
    expect((r.object.status as Record<string, unknown>).allocatable).toEqual(status.capacity);
    expect(nodeDefinition.validate(r.object)).toEqual([]);
  });

  it('prints status, roles and node info', () => {
    expect(nodeDefinition.table.row(node({ status }), now)).toEqual([
      'node-1',
      'Ready',
      'control-plane,worker',
      '24h',
      'v1.30.0-berth',
      '192.168.1.10',
      '<none>',
      'Debian GNU/Linux 12',
      '6.1.0',
      'berth://0.1',
    ]);
    const cordoned = node({
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
    });
    cordoned.metadata.labels = {};
    expect(nodeDefinition.table.row(cordoned, now).slice(1, 3)).toEqual([
      'NotReady,SchedulingDisabled',
      '<none>',
    ]);
    expect(nodeDefinition.table.row(node(), now).slice(1, 2)).toEqual(['Unknown']);
    expect(nodeDefinition.table.row(node(), now).slice(7)).toEqual([
      '<unknown>',
      '<unknown>',
      '<unknown>',
    ]);
  });

  it('selects on spec.unschedulable', () => {
    expect(nodeDefinition.selectableFields(node())).toEqual({ 'spec.unschedulable': 'false' });
    expect(nodeDefinition.selectableFields(node({ spec: { unschedulable: true } }))).toEqual({
      'spec.unschedulable': 'true',
    });
  });

  it('validates taints and quantities', () => {
    const causes = nodeDefinition.validate(
      node({
        spec: {
          taints: [
            { key: 'a', effect: 'NoSchedule' },
            { key: 'a', effect: 'NoSchedule' },
          ],
        },
        status: { capacity: { cpu: 'many' } },
      }),
    );
    expect(causes.map((c) => c.field)).toEqual(['spec.taints[1]', 'status.capacity[cpu]']);
  });
});

describe('Endpoints', () => {
  const ep = (subsets: unknown): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: created },
    subsets,
  });

  it('has no status and short name ep', () => {
    expect(endpointsDefinition).toMatchObject({
      hasStatus: false,
      shortNames: ['ep'],
      plural: 'endpoints',
      singular: 'endpoints',
    });
  });

  it('prints addresses with ports, at most three', () => {
    expect(endpointsDefinition.table.row(ep(undefined), now)).toEqual(['web', '<none>', '24h']);
    expect(
      endpointsDefinition.table.row(
        ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }] }]),
        now,
      )[1],
    ).toBe('10.0.0.1:80,10.0.0.2:80');
    expect(
      endpointsDefinition.table.row(
        ep([
          {
            addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::2' }],
            ports: [
              { name: 'a', port: 80 },
              { name: 'b', port: 443 },
            ],
          },
        ]),
        now,
      )[1],
    ).toBe('10.0.0.1:80,[fd00::2]:80,10.0.0.1:443 + 1 more...');
  });

  it('defaults protocols and validates addresses and ports', () => {
    const out = endpointsDefinition.applyDefaults(
      ep([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }]),
    );
    expect(out.subsets).toEqual([
      { addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    expect(endpointsDefinition.validate(out)).toEqual([]);
    const causes = endpointsDefinition.validate(
      ep([{ addresses: [{ ip: 'x' }], ports: [{ port: 0 }, { name: 'b', port: 1 }] }]),
    );
    expect(causes.map((c) => c.field)).toEqual([
      'subsets[0].addresses[0].ip',
      'subsets[0].ports[0].name',
      'subsets[0].ports[0].port',
    ]);
  });
});

describe('Event', () => {
  const event = (rest: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.17c1', namespace: 'default' },
    involvedObject: {
      kind: 'Pod',
      namespace: 'default',
      name: 'web',
      uid: 'u-1',
      apiVersion: 'v1',
      fieldPath: 'spec.containers{web}',
    },
    reason: 'Pulled',
    message: 'Successfully pulled image "nginx"\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2024-05-01T11:50:00Z',
    lastTimestamp: '2024-05-01T11:59:00Z',
    count: 3,
    type: 'Normal',
    ...rest,
  });

  it('prints Last Seen, Type, Reason, Object and Message (plus wide columns)', () => {
    expect(
      eventDefinition.table.columns.filter((c) => c.priority === 0).map((c) => c.name),
    ).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    expect(eventDefinition.table.row(event({}), now)).toEqual([
      '60s',
      'Normal',
      'Pulled',
      'pod/web',
      'spec.containers{web}',
      'kubelet, node-1',
      'Successfully pulled image "nginx"',
      '10m',
      3,
      'web.17c1',
    ]);
  });

  it('falls back to eventTime, series and reporting fields', () => {
    const row = eventDefinition.table.row(
      event({
        firstTimestamp: undefined,
        lastTimestamp: undefined,
        count: undefined,
        source: undefined,
        eventTime: '2024-05-01T11:58:00.000000Z',
        reportingComponent: 'berth-scheduler',
        reportingInstance: 'sched-0',
      }),
      now,
    );
    expect([row[0], row[5], row[7], row[8]]).toEqual(['2m', 'berth-scheduler, sched-0', '2m', 1]);
    const series = eventDefinition.table.row(
      event({ series: { count: 7, lastObservedTime: '2024-05-01T11:59:30Z' } }),
      now,
    );
    expect([series[0], series[8]]).toEqual(['30s', 7]);
  });

  it('exposes involvedObject and other field selectors', () => {
    expect(eventDefinition.selectableFields(event({ reportingComponent: 'kubelet' }))).toEqual({
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web',
      'involvedObject.uid': 'u-1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '',
      'involvedObject.fieldPath': 'spec.containers{web}',
      reason: 'Pulled',
      reportingComponent: 'kubelet',
      source: 'kubelet',
      type: 'Normal',
    });
  });

  it('validates the involved object and type', () => {
    expect(eventDefinition.validate(event({}))).toEqual([]);
    const causes = eventDefinition.validate(
      event({
        involvedObject: { kind: 'Pod', namespace: 'other', name: 'web' },
        type: 'Info',
        count: -1,
      }),
    );
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      ['involvedObject.namespace', 'Invalid value: "other": does not match event.namespace'],
      ['type', 'Unsupported value: "Info": supported values: "Normal", "Warning"'],
      ['count', 'Invalid value: -1: must be greater than or equal to 0'],
    ]);
  });

  it('has top-level fields in its schema', () => {
    const r = eventDefinition.validateSchema(event({ spec: {} }));
    expect(r.unknownFields).toEqual(['spec']);
    expect(r.causes).toEqual([]);
  });
});

describe('ResourceQuota', () => {
  const quota = (rest: Partial<KubeObject>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'compute', namespace: 'team-a', creationTimestamp: created },
    ...rest,
  });

  it('prints requests and limits usage', () => {
    const o = quota({
      spec: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '4Gi' } },
      status: {
        hard: {
          pods: '10',
          'requests.cpu': '2',
          'limits.memory': '4Gi',
          'requests.memory': '2048Mi',
        },
        used: { pods: '1', 'requests.cpu': '500m', 'limits.memory': '1024Mi' },
      },
    });
    expect(resourceQuotaDefinition.table.row(o, now)).toEqual([
      'compute',
      '24h',
      'pods: 1/10, requests.cpu: 500m/2, requests.memory: 0/2Gi',
      'limits.memory: 1Gi/4Gi',
    ]);
  });

  it('shows the spec before the quota was first evaluated', () => {
    const o = quota({ spec: { hard: { pods: 10 } } });
    expect(resourceQuotaDefinition.table.row(o, now).slice(2)).toEqual(['pods: 0/10', '']);
  });

  it('validates quantities and scopes', () => {
    expect(
      resourceQuotaDefinition
        .validate(quota({ spec: { hard: { pods: '10', cpu: '-1' } } }))
        .map((c) => c.field),
    ).toEqual(['spec.hard[cpu]']);
    const r = resourceQuotaDefinition.validateSchema(
      quota({ spec: { scopes: ['BestEffort', 'Sometimes'] } }),
    );
    expect(r.causes.map((c) => c.field)).toEqual(['spec.scopes[1]']);
  });
});

describe('LimitRange', () => {
  const lr = (limits: unknown): KubeObject => ({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'defaults', namespace: 'team-a', creationTimestamp: created },
    spec: { limits },
  });

  it('has short name limits and no status', () => {
    expect(limitRangeDefinition).toMatchObject({
      shortNames: ['limits'],
      hasStatus: false,
      plural: 'limitranges',
    });
  });

  it('defaults container limits like Kubernetes', () => {
    const out = limitRangeDefinition.applyDefaults(
      lr([
        {
          type: 'Container',
          max: { cpu: '2' },
          min: { memory: '64Mi' },
          default: { memory: '256Mi' },
        },
        { type: 'Pod', max: { cpu: '4' } },
      ]),
    );
    expect((out.spec as Record<string, unknown>).limits).toEqual([
      {
        type: 'Container',
        max: { cpu: '2' },
        min: { memory: '64Mi' },
        default: { memory: '256Mi', cpu: '2' },
        defaultRequest: { memory: '256Mi', cpu: '2' },
      },
      { type: 'Pod', max: { cpu: '4' } },
    ]);
    expect(limitRangeDefinition.validate(out)).toEqual([]);
  });

  it('checks min ≤ default request ≤ default ≤ max', () => {
    const causes = limitRangeDefinition.validate(
      lr([
        {
          type: 'Container',
          min: { cpu: '2' },
          max: { cpu: '1' },
          defaultRequest: { memory: '1Gi' },
          default: { memory: '512Mi' },
        },
        { type: 'Pod', default: { cpu: '1' }, maxLimitRequestRatio: { cpu: '0.5' } },
      ]),
    );
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      ['spec.limits[0].min[cpu]', 'Invalid value: "2": min value 2 is greater than max value 1'],
      [
        'spec.limits[0].defaultRequest[memory]',
        'Invalid value: "1Gi": default request value 1Gi is greater than default limit value 512Mi',
      ],
      ['spec.limits[1].default', "Forbidden: may not be specified when `type` is 'Pod'"],
      [
        'spec.limits[1].maxLimitRequestRatio[cpu]',
        'Invalid value: "500m": ratio 500m is less than 1',
      ],
    ]);
  });

  it('prints name and creation time', () => {
    expect(limitRangeDefinition.table.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(limitRangeDefinition.table.row(lr([]), now)).toEqual(['defaults', created]);
  });
});
