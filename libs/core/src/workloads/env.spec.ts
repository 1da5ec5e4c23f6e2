import type { KubeObject } from '../api/types';
import { resolveContainerEnv, type ConfigLookup, type EnvInput } from './env';
import { expandVars } from './expand';
import { containerResourceValue, podFieldValue } from './field-refs';
import { serviceEnvVars, serviceLinkEnv } from './service-env';

const pod = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u-123',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'example.com/owner': 'team "a"' },
      ...meta,
    },
    spec: { nodeName: 'node-a', serviceAccountName: 'builder', ...spec },
    status: {
      podIP: '10.1.0.5',
      podIPs: [{ ip: '10.1.0.5' }, { ip: 'fd00::5' }],
      hostIP: '192.168.1.9',
    },
  }) as unknown as KubeObject;

const lookup: ConfigLookup = {
  configMap: (ns, name) =>
    ns === 'shop' && name === 'app'
      ? { data: { MODE: 'prod', URL: 'http://$(HOST)', 'bad key': 'x', '1ST': 'y' } }
      : undefined,
  secret: (ns, name) =>
    ns === 'shop' && name === 'db'
      ? { data: { password: Buffer.from('s3cr3t'), user: Buffer.from('ada') } }
      : undefined,
};

const svc = (ns: string, name: string, spec: Record<string, unknown>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec,
  }) as unknown as KubeObject;
const kubernetesSvc = svc('default', 'kubernetes', {
  clusterIP: '10.96.0.1',
  ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
});

function run(container: Record<string, unknown>, extra: Partial<EnvInput> = {}) {
  return resolveContainerEnv({ pod: pod(), container, lookup, ...extra });
}
function envOf(container: Record<string, unknown>, extra: Partial<EnvInput> = {}) {
  const r = run(container, extra);
  if (!r.ok) throw new Error(r.error.message);
  return Object.fromEntries(r.env.map((e) => [e.name, e.value]));
}

describe('expandVars', () => {
  const vars = new Map([
    ['A', 'x'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['$(A)', 'x'],
    ['pre-$(A)-post', 'pre-x-post'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['$A', '$A'],
    ['$(A', '$(A'],
    ['$(EMPTY)!', '!'],
    ['trailing $', 'trailing $'],
    ['$($(A))', '$($(A))'],
  ])('%j → %j', (input, out) => {
    expect(expandVars(input, vars)).toBe(out);
    expect(expandVars(input, (n) => vars.get(n))).toBe(out);
  });
});

describe('resolveContainerEnv', () => {
  it('plain values in order, $(VAR) against earlier entries only', () => {
    const r = run({
      env: [
        { name: 'A', value: 'one' },
        { name: 'B', value: '$(A)-$(C)' },
        { name: 'C', value: 'three' },
        { name: 'A', value: 'again-$(A)' },
        { name: 'E', value: '' },
      ],
    });
    expect(r).toEqual({
      ok: true,
      warnings: [],
      env: [
        { name: 'A', value: 'again-one' },
        { name: 'B', value: 'one-$(C)' },
        { name: 'C', value: 'three' },
        { name: 'E', value: '' },
      ],
    });
  });

  it('configMapKeyRef and secretKeyRef (secret bytes as UTF-8)', () => {
    expect(
      envOf({
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'X', value: '$(MODE):$(PW)' },
        ],
      }),
    ).toEqual({ MODE: 'prod', PW: 's3cr3t', X: 'prod:s3cr3t' });
  });

  it.each([
    [
      'configMapKeyRef',
      { name: 'nope', key: 'MODE' },
      'ConfigMapNotFound',
      'configmap "nope" not found',
    ],
    [
      'configMapKeyRef',
      { name: 'app', key: 'nokey' },
      'ConfigMapKeyNotFound',
      "couldn't find key nokey in ConfigMap shop/app",
    ],
    [
      'secretKeyRef',
      { name: 'nope', key: 'password' },
      'SecretNotFound',
      'secret "nope" not found',
    ],
    [
      'secretKeyRef',
      { name: 'db', key: 'nokey' },
      'SecretKeyNotFound',
      "couldn't find key nokey in Secret shop/db",
    ],
  ])('%s %j fails: %s', (kind, ref, reason, message) => {
    const container = {
      env: [
        { name: 'OK', value: '1' },
        { name: 'V', valueFrom: { [kind]: ref } },
      ],
    };
    expect(run(container)).toEqual({
      ok: false,
      error: { reason, message, field: `env[1].valueFrom.${kind}` },
    });
    // optional: the variable is left out, whichever part is missing.
    expect(
      envOf({ env: [{ name: 'V', valueFrom: { [kind]: { ...ref, optional: true } } }] }),
    ).toEqual({});
  });

  it('envFrom: keys sorted, prefix, invalid names skipped with a warning, env overrides', () => {
    const r = run({
      envFrom: [{ configMapRef: { name: 'app' } }, { secretRef: { name: 'db' }, prefix: 'DB_' }],
      env: [{ name: 'MODE', value: 'dev-$(DB_user)' }],
    });
    expect(r).toEqual({
      ok: true,
      env: [
        { name: 'MODE', value: 'dev-ada' },
        { name: 'URL', value: 'http://$(HOST)' },
        { name: 'DB_password', value: 's3cr3t' },
        { name: 'DB_user', value: 'ada' },
      ],
      warnings: [
        'Keys [1ST, bad key] from the EnvFrom configMap shop/app were skipped since they are considered invalid environment variable names.',
      ],
    });
    // A prefix can make a key valid.
    expect(envOf({ envFrom: [{ configMapRef: { name: 'app' }, prefix: 'P_' }] })).toMatchObject({
      P_1ST: 'y',
    });
  });

  it('envFrom: missing sources fail unless optional', () => {
    expect(run({ envFrom: [{ configMapRef: { name: 'x' } }] })).toEqual({
      ok: false,
      error: {
        reason: 'ConfigMapNotFound',
        message: 'configmap "x" not found',
        field: 'envFrom[0].configMapRef',
      },
    });
    expect(run({ envFrom: [{}, { secretRef: { name: 'x' } }] })).toMatchObject({
      ok: false,
      error: { message: 'secret "x" not found', field: 'envFrom[1].secretRef' },
    });
    expect(envOf({ envFrom: [{ secretRef: { name: 'x', optional: true } }] })).toEqual({});
  });

  it('fieldRef', () => {
    const ref = (fieldPath: string) => ({ name: 'V', valueFrom: { fieldRef: { fieldPath } } });
    const value = (fieldPath: string, extra: Partial<EnvInput> = {}) =>
      envOf({ env: [ref(fieldPath)] }, extra).V;
    expect(value('metadata.name')).toBe('web-1');
    expect(value('metadata.namespace')).toBe('shop');
    expect(value('metadata.uid')).toBe('u-123');
    expect(value("metadata.labels['app']")).toBe('web');
    expect(value("metadata.labels['none']")).toBe('');
    expect(value("metadata.annotations['example.com/owner']")).toBe('team "a"');
    expect(value('spec.nodeName')).toBe('node-a');
    expect(value('spec.host')).toBe('node-a');
    expect(value('spec.serviceAccountName')).toBe('builder');
    expect(value('status.podIP')).toBe('10.1.0.5');
    expect(value('status.podIPs')).toBe('10.1.0.5,fd00::5');
    expect(value('status.podIP', { podIPs: ['10.9.9.9'] })).toBe('10.9.9.9');
    expect(value('status.hostIP')).toBe('192.168.1.9');
    expect(value('status.hostIPs', { node: { hostIPs: ['192.168.1.1', 'fd00::1'] } })).toBe(
      '192.168.1.1,fd00::1',
    );
    expect(run({ env: [ref('spec.nope')] })).toEqual({
      ok: false,
      error: {
        reason: 'FieldRefInvalid',
        message: 'field label not supported: spec.nope',
        field: 'env[0].valueFrom.fieldRef',
      },
    });
    expect(run({ env: [ref("spec.nodeName['x']")] })).toMatchObject({
      error: { message: "field label does not support subscript: spec.nodeName['x']" },
    });
    expect(
      run({
        env: [
          { name: 'V', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } },
        ],
      }),
    ).toMatchObject({
      error: { message: 'unsupported pod version: v2' },
    });
  });

  it('resourceFieldRef uses the container limits, else node allocatable', () => {
    const container = {
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
      env: [
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        {
          name: 'MEM_LIMIT_MI',
          valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
        },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        {
          name: 'CPU_REQ_M',
          valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } },
        },
        {
          name: 'EPH',
          valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } },
        },
        {
          name: 'EPH_REQ',
          valueFrom: { resourceFieldRef: { resource: 'requests.ephemeral-storage' } },
        },
      ],
    };
    expect(
      envOf(container, {
        node: { allocatable: { cpu: '3500m', memory: '8Gi', 'ephemeral-storage': '10Gi' } },
      }),
    ).toEqual({
      CPU_LIMIT: '4', // 3500m from allocatable, rounded up to whole cores
      MEM_LIMIT_MI: '128',
      CPU_REQ: '1', // 250m rounds up to 1
      CPU_REQ_M: '250',
      EPH: '10',
      EPH_REQ: '0',
    });
    expect(
      run({ env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }),
    ).toEqual({
      ok: false,
      error: {
        reason: 'ResourceFieldRefInvalid',
        message: 'unsupported container resource : limits.gpu',
        field: 'env[0].valueFrom.resourceFieldRef',
      },
    });
  });

  it.each([
    ['limits.memory', { limits: { memory: '1G' } }, '1', '1000000000'],
    ['limits.memory', { limits: { memory: '1G' } }, '1Mi', '954'], // 1e9 / 1048576 = 953.67 → 954
    ['limits.cpu', { limits: { cpu: '1500m' } }, '1', '2'],
    ['limits.cpu', { limits: { cpu: '0' } }, '1', '8'], // zero limit → allocatable
    ['limits.cpu', {}, '100m', '80'],
    ['requests.memory', {}, '1', '0'],
    ['limits.hugepages-2Mi', { limits: { 'hugepages-2Mi': '4Mi' } }, '1Mi', '4'],
  ])('containerResourceValue(%s, %j, divisor %s) = %s', (resource, resources, divisor, out) => {
    expect(
      containerResourceValue(
        { resource, divisor },
        { resources },
        { allocatable: { cpu: '8', memory: '16Gi' } },
      ),
    ).toBe(out);
  });

  it('podFieldValue formats whole label/annotation maps as key="value" lines', () => {
    expect(podFieldValue(pod(), { fieldPath: 'metadata.labels' })).toBe('app="web"\ntier="front"');
    expect(podFieldValue(pod(), { fieldPath: 'metadata.annotations' })).toBe(
      'example.com/owner="team \\"a\\""',
    );
  });

  describe('service links', () => {
    const services = [
      kubernetesSvc,
      svc('shop', 'redis-primary', {
        clusterIP: '10.96.0.11',
        ports: [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }],
      }),
      svc('shop', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
      svc('other', 'elsewhere', { clusterIP: '10.96.0.12', ports: [{ port: 80 }] }),
    ];

    it('FromServices: host, port, named ports and Docker link variables', () => {
      expect(serviceEnvVars(services[1]!)).toEqual([
        { name: 'REDIS_PRIMARY_SERVICE_HOST', value: '10.96.0.11' },
        { name: 'REDIS_PRIMARY_SERVICE_PORT', value: '6379' },
        { name: 'REDIS_PRIMARY_SERVICE_PORT_METRICS', value: '9121' },
        { name: 'REDIS_PRIMARY_PORT', value: 'tcp://10.96.0.11:6379' },
        { name: 'REDIS_PRIMARY_PORT_6379_TCP', value: 'tcp://10.96.0.11:6379' },
        { name: 'REDIS_PRIMARY_PORT_6379_TCP_PROTO', value: 'tcp' },
        { name: 'REDIS_PRIMARY_PORT_6379_TCP_PORT', value: '6379' },
        { name: 'REDIS_PRIMARY_PORT_6379_TCP_ADDR', value: '10.96.0.11' },
        { name: 'REDIS_PRIMARY_PORT_9121_TCP', value: 'tcp://10.96.0.11:9121' },
        { name: 'REDIS_PRIMARY_PORT_9121_TCP_PROTO', value: 'tcp' },
        { name: 'REDIS_PRIMARY_PORT_9121_TCP_PORT', value: '9121' },
        { name: 'REDIS_PRIMARY_PORT_9121_TCP_ADDR', value: '10.96.0.11' },
      ]);
      expect(
        serviceEnvVars(
          svc('x', 'dns', { clusterIP: 'fd00::10', ports: [{ port: 53, protocol: 'UDP' }] }),
        ),
      ).toContainEqual({
        name: 'DNS_PORT',
        value: 'udp://[fd00::10]:53',
      });
    });

    it('the namespace’s services with a cluster IP, plus default/kubernetes', () => {
      const m = serviceLinkEnv(services, 'shop', true);
      expect(m.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
      expect(m.get('KUBERNETES_SERVICE_PORT')).toBe('443');
      expect(m.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443');
      expect(m.get('KUBERNETES_PORT_443_TCP_ADDR')).toBe('10.96.0.1');
      expect(m.get('REDIS_PRIMARY_SERVICE_HOST')).toBe('10.96.0.11');
      expect([...m.keys()].some((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE'))).toBe(
        false,
      );
    });

    it('enableServiceLinks: false keeps only the master service', () => {
      const keys = [...serviceLinkEnv(services, 'shop', false).keys()];
      expect(keys.every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
      expect(keys).toHaveLength(8);
    });

    it('come last, are usable in $(VAR), and yield to env entries of the same name', () => {
      const r = resolveContainerEnv({
        pod: pod({ enableServiceLinks: false }),
        container: {
          env: [
            { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
            { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
          ],
        },
        lookup,
        services,
      });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.env.slice(0, 3)).toEqual([
        { name: 'API', value: 'https://10.96.0.1:443' },
        { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
        { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
      ]);
      expect(r.env.filter((e) => e.name === 'KUBERNETES_SERVICE_PORT')).toHaveLength(1);
    });
  });
});

describe('resourceFieldRef with containerName', () => {
  it('reads the named container, and fails for an unknown one', () => {
    const p = pod({
      containers: [
        { name: 'app', env: [] },
        { name: 'sidecar', resources: { limits: { memory: '64Mi' } } },
      ],
    });
    const env = [
      {
        name: 'M',
        valueFrom: {
          resourceFieldRef: { containerName: 'sidecar', resource: 'limits.memory', divisor: '1Mi' },
        },
      },
    ];
    const ok = resolveContainerEnv({ pod: p, container: { name: 'app', env }, lookup });
    expect(ok.ok && ok.env).toEqual([{ name: 'M', value: '64' }]);
    const bad = [
      {
        name: 'M',
        valueFrom: { resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } },
      },
    ];
    expect(
      resolveContainerEnv({ pod: p, container: { name: 'app', env: bad }, lookup }),
    ).toMatchObject({
      ok: false,
      error: { reason: 'ResourceFieldRefInvalid', message: 'container nope not found' },
    });
  });
});
