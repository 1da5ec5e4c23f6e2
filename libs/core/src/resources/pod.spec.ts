import type { KubeObject } from '../api/types';
import { podDefinition } from './index';

function pod(spec: Record<string, unknown>, rest: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec,
    ...rest,
  };
}

const web = { name: 'web', image: 'nginx:1.25' };

describe('Pod discovery data', () => {
  it('is a namespaced core/v1 resource in the `all` category', () => {
    expect(podDefinition).toMatchObject({
      group: '',
      version: 'v1',
      kind: 'Pod',
      listKind: 'PodList',
      plural: 'pods',
      singular: 'pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      hasStatus: true,
      tracksGeneration: false,
    });
    expect(podDefinition.scale).toBeUndefined();
  });
});

describe('Pod validation', () => {
  const causesOf = (spec: Record<string, unknown>, meta?: Record<string, unknown>) =>
    podDefinition.validate(
      pod(spec, meta ? { metadata: { name: 'web', namespace: 'default', ...meta } } : {}),
    );

  it('accepts a minimal pod', () => {
    expect(causesOf({ containers: [web] })).toEqual([]);
  });

  it('requires metadata via the shared rules', () => {
    const causes = podDefinition.validate({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {},
      spec: { containers: [web] },
    });
    expect(causes.map((c) => c.field)).toEqual(['metadata.name', 'metadata.namespace']);
  });

  it('requires at least one container', () => {
    expect(causesOf({ containers: [] })).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' },
    ]);
    expect(causesOf({})).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' },
    ]);
  });

  it('checks container names and images', () => {
    const causes = causesOf({
      initContainers: [{ name: 'web', image: 'busybox' }],
      containers: [web, { name: 'Side_Car', image: 'x' }, { name: 'empty', image: '' }],
    });
    expect(causes).toEqual([
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.containers[0].name',
        message: 'Duplicate value: "web"',
      },
      expect.objectContaining({
        reason: 'FieldValueInvalid',
        field: 'spec.containers[1].name',
        message: expect.stringContaining('Invalid value: "Side_Car": a lowercase RFC 1123 label'),
      }),
      {
        reason: 'FieldValueRequired',
        field: 'spec.containers[2].image',
        message: 'Required value',
      },
    ]);
  });

  it('checks ports', () => {
    const causes = causesOf({
      containers: [
        {
          ...web,
          ports: [
            { containerPort: 70000, name: 'http' },
            { containerPort: 0 },
            { containerPort: 81, name: 'http', hostPort: -1 },
            { containerPort: 82, name: 'Bad Name' },
          ],
        },
      ],
    });
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      [
        'spec.containers[0].ports[0].containerPort',
        'Invalid value: 70000: must be between 1 and 65535, inclusive',
      ],
      ['spec.containers[0].ports[1].containerPort', 'Required value'],
      ['spec.containers[0].ports[2].name', 'Duplicate value: "http"'],
      [
        'spec.containers[0].ports[2].hostPort',
        'Invalid value: -1: must be between 1 and 65535, inclusive',
      ],
      [
        'spec.containers[0].ports[3].name',
        'Invalid value: "Bad Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
    ]);
  });

  it('checks quantities and that requests do not exceed limits', () => {
    const causes = causesOf({
      containers: [
        {
          ...web,
          resources: {
            requests: { cpu: '2', memory: '-1Mi' },
            limits: { cpu: '1', memory: 'lots', 'bad key!': '1' },
          },
        },
      ],
    });
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      [
        'spec.containers[0].resources.limits[memory]',
        expect.stringMatching(/^Invalid value: "lots": quantities must match/),
      ],
      [
        'spec.containers[0].resources.limits[bad key!]',
        expect.stringMatching(/^Invalid value: "bad key!": must be a standard resource name/),
      ],
      [
        'spec.containers[0].resources.requests[memory]',
        'Invalid value: "-1Mi": must be greater than or equal to 0',
      ],
      [
        'spec.containers[0].resources.requests[cpu]',
        'Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    ]);
    expect(
      causesOf({
        containers: [
          {
            ...web,
            resources: { requests: { cpu: 0.5 }, limits: { cpu: '500m', 'nvidia.com/gpu': 1 } },
          },
        ],
      }),
    ).toEqual([]);
  });

  it('checks volume mounts against volumes', () => {
    const causes = causesOf({
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'data', emptyDir: {} },
      ],
      containers: [
        {
          ...web,
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'logs', mountPath: '' },
          ],
        },
      ],
    });
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      ['spec.volumes[1].name', 'Duplicate value: "data"'],
      ['spec.containers[0].volumeMounts[1].name', 'Not found: "logs"'],
      ['spec.containers[0].volumeMounts[1].mountPath', 'Required value'],
    ]);
  });

  it('checks probes, tolerations and deadlines', () => {
    const causes = causesOf({
      containers: [
        {
          ...web,
          livenessProbe: {
            successThreshold: 2,
            httpGet: { port: 'http' },
            exec: { command: ['true'] },
          },
          readinessProbe: {},
        },
      ],
      tolerations: [
        { operator: 'Equal', value: 'x' },
        { key: 'k', operator: 'Exists', value: 'v' },
        { key: 'k', tolerationSeconds: 5 },
      ],
      activeDeadlineSeconds: 0,
    });
    expect(causes.map((c) => c.field)).toEqual([
      'spec.containers[0].livenessProbe.httpGet',
      'spec.containers[0].livenessProbe.successThreshold',
      'spec.containers[0].readinessProbe',
      'spec.activeDeadlineSeconds',
      'spec.tolerations[0].operator',
      'spec.tolerations[1].operator',
      'spec.tolerations[2].effect',
    ]);
  });
});

describe('Pod updates', () => {
  const old = podDefinition.applyDefaults(
    pod({
      containers: [web],
      tolerations: [{ key: 'a', operator: 'Exists' }],
      activeDeadlineSeconds: 100,
    }),
  );
  const update = (mutate: (spec: Record<string, unknown>) => void) => {
    const next = structuredClone(old);
    mutate(next.spec as Record<string, unknown>);
    return podDefinition.validate(next, old);
  };

  it('allows image changes, toleration additions and a lower deadline', () => {
    expect(
      update((s) => {
        (s.containers as Record<string, unknown>[])[0]!.image = 'nginx:1.26';
        (s.tolerations as unknown[]).push({ key: 'b', operator: 'Exists' });
        s.activeDeadlineSeconds = 50;
      }),
    ).toEqual([]);
  });

  it('allows binding an unscheduled pod to a node', () => {
    expect(update((s) => (s.nodeName = 'node-1'))).toEqual([]);
  });

  it('forbids other spec changes', () => {
    const causes = update((s) => {
      (s.containers as Record<string, unknown>[])[0]!.ports = [
        { containerPort: 80, protocol: 'TCP' },
      ];
      s.restartPolicy = 'Never';
    });
    expect(causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'spec',
        message: expect.stringMatching(
          /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`.*\(changed: spec.containers, spec.restartPolicy\)$/,
        ),
      },
    ]);
  });

  it('forbids removing tolerations and raising the deadline', () => {
    const causes = update((s) => {
      s.tolerations = [];
      s.activeDeadlineSeconds = 200;
    });
    expect(causes.map((c) => c.field)).toEqual(['spec.activeDeadlineSeconds', 'spec.tolerations']);
  });

  it('forbids renaming', () => {
    const next = structuredClone(old);
    next.metadata.name = 'other';
    expect(podDefinition.validate(next, old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: 'Invalid value: "other": field is immutable',
      },
    ]);
  });
});

describe('Pod field selectors', () => {
  it('exposes the fields kubectl and controllers select on', () => {
    const o = podDefinition.applyDefaults(
      pod({ containers: [web], nodeName: 'node-1', serviceAccountName: 'builder' }),
    );
    expect(podDefinition.selectableFields(o)).toEqual({
      'spec.nodeName': 'node-1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'builder',
      'spec.hostNetwork': 'false',
      'status.phase': 'Pending',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
  });
});

describe('Pod deletion grace period (CheckGracefulDelete)', () => {
  const scheduled = (grace?: number, phase = 'Running'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd' },
    spec: {
      nodeName: 'n1',
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
      containers: [{ name: 'c', image: 'x' }],
    },
    status: { phase },
  });
  const period = (o: KubeObject, requested?: number) =>
    podDefinition.deletionGracePeriod!(o, requested);

  it('takes the DeleteOptions value when given (0 stays 0), else the spec value', () => {
    expect(period(scheduled(30), 0)).toBe(0);
    expect(period(scheduled(30), 5)).toBe(5);
    expect(period(scheduled(30))).toBe(30);
    expect(period(scheduled(undefined))).toBe(0);
  });

  it('is 0 for a pod not scheduled yet or already finished', () => {
    const pending = scheduled(30, 'Pending');
    delete (pending.spec as { nodeName?: string }).nodeName;
    expect(period(pending, 10)).toBe(0);
    expect(period(scheduled(30, 'Succeeded'), 10)).toBe(0);
    expect(period(scheduled(30, 'Failed'))).toBe(0);
  });
});
