import { z } from 'zod';
import { RESOURCES, deploymentDefinition, podDefinition, serviceDefinition } from './index';
import { checkSchema, formatPath, intOrString, quantityMap, timestamp } from './schema';

const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec,
  ...extra,
});

describe('validateSchema: unknown fields', () => {
  it('reports unknown fields as dotted paths and removes them', () => {
    const input = pod(
      { containers: [{ name: 'web', image: 'nginx', foo: 1 }], bar: { x: 1 } },
      { extra: true },
    );
    const result = podDefinition.validateSchema(input);
    expect(result.causes).toEqual([]);
    expect(result.unknownFields).toEqual(['spec.containers[0].foo', 'spec.bar', 'extra']);
    const spec = result.object.spec as { containers: Record<string, unknown>[] };
    expect(spec.containers[0]).not.toHaveProperty('foo');
    expect(result.object.spec).not.toHaveProperty('bar');
    expect(result.object).not.toHaveProperty('extra');
    // the input is untouched
    expect(input.spec.containers).toEqual([{ name: 'web', image: 'nginx', foo: 1 }]);
  });

  it('finds unknown fields deep inside a deployment template', () => {
    const result = deploymentDefinition.validateSchema({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, colour: 'blue' },
          spec: {
            containers: [
              { name: 'web', image: 'nginx', ports: [{ containerPort: 80, portName: 'x' }] },
            ],
          },
        },
      },
    });
    expect(result.causes).toEqual([]);
    expect(result.unknownFields).toEqual([
      'spec.template.metadata.colour',
      'spec.template.spec.containers[0].ports[0].portName',
    ]);
  });

  it('accepts anything inside deliberately unmodelled structures', () => {
    const result = podDefinition.validateSchema(
      pod({
        containers: [
          {
            name: 'web',
            image: 'nginx',
            securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, whatever: 1 },
            lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        ],
        affinity: { nodeAffinity: { anything: [1, 2, 3] } },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'b' }] } }],
      }),
    );
    expect(result.causes).toEqual([]);
    expect(result.unknownFields).toEqual([]);
  });

  it('reports a misspelt volume source', () => {
    const result = podDefinition.validateSchema(
      pod({
        containers: [{ name: 'web', image: 'nginx' }],
        volumes: [{ name: 'x', emptydir: {} }],
      }),
    );
    expect(result.unknownFields).toEqual(['spec.volumes[0].emptydir']);
  });
});

describe('validateSchema: types', () => {
  it('reports wrong JSON types with Kubernetes-like messages', () => {
    const result = deploymentDefinition.validateSchema({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 'three', template: { spec: { containers: {} } } },
    });
    expect(result.causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "three": spec.replicas in body must be of type integer: "string"',
      },
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.template.spec.containers',
        message:
          'Invalid value: {}: spec.template.spec.containers in body must be of type array: "object"',
      },
    ]);
  });

  it('names map keys in brackets', () => {
    const result = podDefinition.validateSchema(
      pod(
        { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: true } } }] },
        {
          metadata: { name: 'web', namespace: 'default', labels: { 'app.kubernetes.io/name': 3 } },
        },
      ),
    );
    expect(result.causes.map((c) => c.field)).toEqual([
      'metadata.labels[app.kubernetes.io/name]',
      'spec.containers[0].resources.limits[cpu]',
    ]);
    expect(result.causes[1]!.message).toBe(
      'Invalid value: true: spec.containers[0].resources.limits[cpu] in body must be of type string or number: "boolean"',
    );
  });

  it('reports missing required fields and unsupported enum values', () => {
    const result = podDefinition.validateSchema(
      pod({ containers: [{ image: 'nginx' }], restartPolicy: 'Sometimes' }),
    );
    expect(result.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers[0].name', message: 'Required value' },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.restartPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
      },
    ]);
  });

  it('checks apiVersion and kind', () => {
    const result = podDefinition.validateSchema({ apiVersion: 'v2', metadata: { name: 'x' } });
    expect(result.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'apiVersion',
        message: 'Unsupported value: "v2": supported values: "v1"',
      },
      { reason: 'FieldValueRequired', field: 'kind', message: 'Required value' },
    ]);
  });

  it('treats null as unset, as the Kubernetes decoder does', () => {
    const result = deploymentDefinition.validateSchema({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: null },
      spec: {
        replicas: null,
        selector: { matchLabels: { app: 'web' } },
        strategy: {},
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx', resources: {} }] },
        },
      },
      status: {},
    });
    expect(result.causes).toEqual([]);
    expect(result.object.metadata).not.toHaveProperty('creationTimestamp');
    expect((result.object.spec as { replicas: number }).replicas).toBe(1);
  });

  it('rejects timestamps that are not RFC 3339', () => {
    const result = podDefinition.validateSchema({
      ...pod({ containers: [{ name: 'web', image: 'nginx' }] }),
      status: { startTime: 'last tuesday' },
    });
    expect(result.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'status.startTime',
        message:
          'Invalid value: "last tuesday": must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)',
      },
    ]);
  });

  it('accepts int-or-string ports and rejects other types', () => {
    const ok = serviceDefinition.validateSchema({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        ports: [
          { name: 'a', port: 80, targetPort: 'http' },
          { name: 'b', port: 81, targetPort: 8081 },
        ],
      },
    });
    expect(ok.causes).toEqual([]);
    const bad = serviceDefinition.validateSchema({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 80, targetPort: { x: 1 } }] },
    });
    expect(bad.causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.ports[0].targetPort',
        message:
          'Invalid value: {"x":1}: spec.ports[0].targetPort in body must be of type integer-or-string: "object"',
      },
    ]);
  });

  it('does not apply defaults when the object has errors', () => {
    const result = podDefinition.validateSchema(pod({ containers: [{ name: 'web', image: 1 }] }));
    expect(result.causes).toHaveLength(1);
    expect(result.object.spec).not.toHaveProperty('restartPolicy');
  });
});

describe('validateSchema: integer ranges follow the Go types', () => {
  const deploy = (spec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
      ...spec,
    },
  });

  it.each([2147483648, 10000000000, -2147483649])(
    'spec.replicas %s does not fit an int32: a decode error naming the field',
    (replicas) => {
      const r = deploymentDefinition.validateSchema(deploy({ replicas }));
      expect(r.decodeErrors).toEqual([
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.replicas',
          message: `cannot unmarshal number ${replicas} into Go struct field spec.replicas of type int32 (-2147483648 to 2147483647)`,
        },
      ]);
    },
  );

  it('accepts the int32 bounds, and int64 fields beyond them', () => {
    const r = deploymentDefinition.validateSchema(
      deploy({
        replicas: 2147483647,
        minReadySeconds: -2147483648,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 3000000000,
            activeDeadlineSeconds: 3000000000,
            containers: [{ name: 'web', image: 'nginx' }],
          },
        },
      }),
    );
    expect(r.causes).toEqual([]);
    expect(r.decodeErrors).toEqual([]);
  });

  it('checks int32 in ports, int-or-string ports, probes and status fields', () => {
    const big = 2 ** 31;
    const p = podDefinition.validateSchema(
      pod(
        {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [{ containerPort: big, hostPort: -big - 1 }],
              readinessProbe: { httpGet: { port: big }, periodSeconds: big },
            },
          ],
          priority: big,
        },
        { status: { containerStatuses: [{ name: 'web', restartCount: big }] } },
      ),
    );
    expect(p.decodeErrors?.map((c) => c.field).sort()).toEqual(
      [
        'spec.containers[0].ports[0].containerPort',
        'spec.containers[0].ports[0].hostPort',
        'spec.containers[0].readinessProbe.httpGet.port',
        'spec.containers[0].readinessProbe.periodSeconds',
        'spec.priority',
        'status.containerStatuses[0].restartCount',
      ].sort(),
    );
    const s = serviceDefinition.validateSchema({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 80, targetPort: 30000000000, nodePort: big }] },
    });
    expect(s.decodeErrors?.map((c) => c.field)).toEqual([
      'spec.ports[0].targetPort',
      'spec.ports[0].nodePort',
    ]);
  });

  it('publishes format int32 and int64 in OpenAPI, as Kubernetes does', () => {
    const doc = deploymentDefinition.jsonSchema() as {
      properties: { spec: { properties: Record<string, any> } };
    };
    const schema = JSON.stringify(doc);
    const spec = doc.properties.spec.properties;
    expect(spec.replicas).toEqual({ type: 'integer', format: 'int32' });
    expect(spec.template.properties.spec.properties.terminationGracePeriodSeconds).toEqual({
      type: 'integer',
      format: 'int64',
    });
    expect(schema).not.toContain('2147483647');
  });
});

describe('checkSchema helpers', () => {
  const schema = z.strictObject({
    a: z.array(
      z.strictObject({
        m: quantityMap().optional(),
        p: intOrString().optional(),
        t: timestamp().optional(),
      }),
    ),
  });
  it('formats paths with indices and map keys', () => {
    expect(formatPath(schema, ['a', 0, 'm', 'nvidia.com/gpu'])).toBe('a[0].m[nvidia.com/gpu]');
    expect(formatPath(schema, ['a', 2, 'p'])).toBe('a[2].p');
    expect(formatPath(schema, ['unknown', 'x y'])).toBe('unknown[x y]');
  });
  it('keeps going after the first problem', () => {
    const r = checkSchema(schema, { a: [{ m: { cpu: [] }, p: 1.5, zz: 1 }, 7] });
    expect(r.unknownFields).toEqual(['a[0].zz']);
    expect(r.causes.map((c) => c.field)).toEqual(['a[0].m[cpu]', 'a[0].p', 'a[1]']);
  });
});

describe('robustness: no method ever throws', () => {
  const deep = (): unknown => {
    let v: Record<string, unknown> = {};
    const root = v;
    for (let i = 0; i < 20000; i++) {
      const next: Record<string, unknown> = {};
      v.a = next;
      v = next;
    }
    return root;
  };
  const cyclic = (): unknown => {
    const o: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } };
    o.spec = o;
    (o.metadata as Record<string, unknown>).self = o.metadata;
    return o;
  };
  const huge = 'x'.repeat(1024 * 1024);
  const garbage: Array<[string, () => unknown]> = [
    ['undefined', () => undefined],
    ['null', () => null],
    ['number', () => 42],
    ['string', () => 'pod'],
    ['array', () => [1, 2, 3]],
    ['empty object', () => ({})],
    ['deep nesting', deep],
    [
      'deep nesting in spec',
      () => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'x' },
        spec: deep(),
        status: deep(),
      }),
    ],
    ['cyclic', cyclic],
    [
      'deep nesting in loosely typed fields',
      () => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'x', namespace: 'd', managedFields: [deep()] },
        spec: {
          containers: [{ name: 'a', image: 'b', securityContext: deep() }],
          affinity: deep(),
        },
      }),
    ],
    [
      '1 MB strings',
      () => ({
        apiVersion: huge,
        kind: huge,
        metadata: { name: huge, labels: { [huge]: huge } },
        spec: { containers: [{ name: huge, image: huge }] },
      }),
    ],
    [
      'wrong types everywhere',
      () => ({
        apiVersion: 1,
        kind: [],
        metadata: 'm',
        spec: 5,
        status: true,
        subsets: {},
        involvedObject: 3,
      }),
    ],
    [
      'nested garbage',
      () => ({
        metadata: { name: {}, labels: [], ownerReferences: 'x' },
        spec: {
          containers: [
            null,
            1,
            'x',
            { ports: 'all', resources: { limits: { cpu: 'lots' }, requests: 5 } },
          ],
          template: { spec: { containers: [{}], volumes: [[]] } },
          selector: { matchExpressions: [{}, null, { operator: 'In' }] },
          ports: [{ port: 'x', nodePort: -1 }, null],
          limits: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: 'x' } }, 4],
          hard: { cpu: {} },
          taints: [{}],
          strategy: { rollingUpdate: { maxSurge: [] } },
        },
        status: {
          conditions: 'none',
          containerStatuses: [{ state: 'x' }, null],
          addresses: {},
          hard: [],
        },
        subsets: [{ addresses: [{}], ports: [{ port: 1e12 }] }, 7],
        series: 'x',
        __proto__: { polluted: true },
      }),
    ],
    [
      'bigint',
      () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', generation: BigInt(1) } }),
    ],
    [
      'a Date and a Map',
      () => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'x', creationTimestamp: new Date() },
        spec: new Map(),
      }),
    ],
  ];

  for (const def of RESOURCES) {
    for (const [label, make] of garbage) {
      it(`${def.kind}: ${label}`, () => {
        const input = make();
        const result = def.validateSchema(input);
        expect(result.object).toBeDefined();
        expect(result.object.metadata).toBeDefined();
        expect(Array.isArray(result.causes)).toBe(true);
        const asObject = input as never;
        expect(Array.isArray(def.validate(asObject))).toBe(true);
        expect(Array.isArray(def.validate(asObject, asObject))).toBe(true);
        expect(Array.isArray(def.validate(result.object, asObject))).toBe(true);
        expect(() => def.applyDefaults(asObject)).not.toThrow();
        expect(typeof def.selectableFields(asObject)).toBe('object');
        expect(def.table.row(asObject, new Date())).toHaveLength(def.table.columns.length);
        if (def.scale) {
          expect(typeof def.scale.specReplicas(asObject)).toBe('number');
          expect(typeof def.scale.statusReplicas(asObject)).toBe('number');
          expect(typeof def.scale.selector(asObject)).toBe('string');
        }
      });
    }
  }

  it('does not let __proto__ keys pollute prototypes', () => {
    const input = JSON.parse(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","__proto__":{"polluted":true}},"spec":{"containers":[{"name":"a","image":"b"}]}}',
    );
    const result = podDefinition.validateSchema(input);
    expect(result.unknownFields).toEqual(['metadata.__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
