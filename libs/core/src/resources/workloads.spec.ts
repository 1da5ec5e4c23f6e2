import type { KubeObject } from '../api/types';
import { deploymentDefinition, replicaSetDefinition } from './index';

const now = new Date('2024-05-01T12:00:00Z');

function deployment(spec: Record<string, unknown>, rest: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      creationTimestamp: '2024-04-29T09:00:00Z',
      generation: 1,
    },
    spec,
    ...rest,
  };
}

const template = {
  metadata: { labels: { app: 'web', tier: 'front' } },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1.25' },
      { name: 'log', image: 'fluent-bit' },
    ],
  },
};
const spec = { selector: { matchLabels: { app: 'web' } }, template };

describe('Deployment', () => {
  it('has apps/v1 discovery data with scale support', () => {
    expect(deploymentDefinition).toMatchObject({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      listKind: 'DeploymentList',
      plural: 'deployments',
      singular: 'deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      hasStatus: true,
      tracksGeneration: true,
    });
    expect(deploymentDefinition.scale).toBeDefined();
  });

  it('fills Kubernetes defaults, including the pod template', () => {
    const out = deploymentDefinition.applyDefaults(deployment(structuredClone(spec)));
    expect(out.spec).toMatchObject({
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          terminationGracePeriodSeconds: 30,
          containers: [
            { name: 'web', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' },
            { name: 'log', imagePullPolicy: 'Always' },
          ],
        },
      },
    });
    // Pod templates do not get requests copied from limits, and have no status.
    expect(out.status).toBeUndefined();
  });

  it('keeps a Recreate strategy without rollingUpdate', () => {
    const out = deploymentDefinition.applyDefaults(
      deployment({ ...structuredClone(spec), strategy: { type: 'Recreate' } }),
    );
    expect((out.spec as Record<string, unknown>).strategy).toEqual({ type: 'Recreate' });
  });

  it('accepts a valid deployment', () => {
    const o = deploymentDefinition.applyDefaults(deployment(structuredClone(spec)));
    expect(deploymentDefinition.validate(o)).toEqual([]);
  });

  it('requires a selector that matches the template labels', () => {
    expect(deploymentDefinition.validate(deployment({ template }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
    ]);
    expect(
      deploymentDefinition.validate(
        deployment({ ...spec, selector: { matchLabels: { app: 'api' } } }),
      ),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message:
          'Invalid value: {"app":"web","tier":"front"}: `selector` does not match template `labels`',
      },
    ]);
    expect(deploymentDefinition.validate(deployment({ ...spec, selector: {} }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message: 'Invalid value: {}: empty selector is invalid for deployment',
      },
    ]);
    expect(
      deploymentDefinition.validate(
        deployment({
          ...spec,
          selector: {
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }],
          },
        }),
      ),
    ).toEqual([]);
  });

  it('checks replicas, strategy and template rules', () => {
    const causes = deploymentDefinition.validate(
      deployment({
        ...spec,
        replicas: -1,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } },
        progressDeadlineSeconds: 10,
        minReadySeconds: 10,
        template: {
          ...template,
          spec: { ...template.spec, restartPolicy: 'Never', activeDeadlineSeconds: 5 },
        },
      }),
    );
    expect(causes.map((c) => [c.field, c.message])).toEqual([
      ['spec.replicas', 'Invalid value: -1: must be greater than or equal to 0'],
      [
        'spec.template.spec.restartPolicy',
        'Unsupported value: "Never": supported values: "Always"',
      ],
      [
        'spec.template.spec.activeDeadlineSeconds',
        'Forbidden: activeDeadlineSeconds in Deployment is not Supported',
      ],
      [
        'spec.strategy.rollingUpdate.maxUnavailable',
        'Invalid value: 0: may not be 0 when `maxSurge` is 0',
      ],
      ['spec.progressDeadlineSeconds', 'Invalid value: 10: must be greater than minReadySeconds'],
    ]);
    expect(
      deploymentDefinition
        .validate(
          deployment({
            ...spec,
            strategy: {
              type: 'Recreate',
              rollingUpdate: { maxSurge: '150%', maxUnavailable: 'half' },
            },
          }),
        )
        .map((c) => c.field),
    ).toEqual(['spec.strategy.rollingUpdate']);
    expect(
      deploymentDefinition
        .validate(
          deployment({
            ...spec,
            strategy: { rollingUpdate: { maxSurge: '150%', maxUnavailable: 'half' } },
          }),
        )
        .map((c) => c.message),
    ).toEqual([expect.stringMatching(/^Invalid value: "half": a valid percent string/)]);
  });

  it('makes the selector immutable', () => {
    const old = deployment(structuredClone(spec));
    const next = deployment({
      ...structuredClone(spec),
      selector: { matchLabels: { app: 'web', tier: 'front' } },
    });
    expect(deploymentDefinition.validate(next, old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message: 'Invalid value: {"matchLabels":{"app":"web","tier":"front"}}: field is immutable',
      },
    ]);
    const scaled = deployment({ ...structuredClone(spec), replicas: 5 });
    expect(deploymentDefinition.validate(scaled, old)).toEqual([]);
  });

  it('supports the scale subresource', () => {
    const o = deployment(
      {
        ...spec,
        replicas: 3,
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['qa', 'dev'] }],
        },
      },
      { status: { replicas: 2 } },
    );
    expect(deploymentDefinition.scale!.specReplicas(o)).toBe(3);
    expect(deploymentDefinition.scale!.statusReplicas(o)).toBe(2);
    expect(deploymentDefinition.scale!.selector(o)).toBe('app=web,env notin (dev,qa)');
  });

  it('prints like kubectl get deployments -o wide', () => {
    expect(deploymentDefinition.table.columns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0',
      'Ready:0',
      'Up-to-date:0',
      'Available:0',
      'Age:0',
      'Containers:1',
      'Images:1',
      'Selector:1',
    ]);
    const o = deployment(
      { ...spec, replicas: 3 },
      { status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } },
    );
    expect(deploymentDefinition.table.row(o, now)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '2d3h',
      'web,log',
      'nginx:1.25,fluent-bit',
      'app=web',
    ]);
    expect(deploymentDefinition.table.row(deployment({}), now).slice(1, 4)).toEqual(['0/0', 0, 0]);
  });
});

describe('ReplicaSet', () => {
  const rs = (s: Record<string, unknown>, rest: Partial<KubeObject> = {}): KubeObject => ({
    ...deployment(s, rest),
    kind: 'ReplicaSet',
    metadata: { name: 'web-5d4f', namespace: 'default', creationTimestamp: '2024-05-01T11:59:30Z' },
  });

  it('has apps/v1 discovery data with scale support', () => {
    expect(replicaSetDefinition).toMatchObject({
      kind: 'ReplicaSet',
      plural: 'replicasets',
      singular: 'replicaset',
      shortNames: ['rs'],
      categories: ['all'],
      tracksGeneration: true,
      hasStatus: true,
    });
    expect(replicaSetDefinition.scale!.selector(rs(spec))).toBe('app=web');
  });

  it('defaults replicas to 1 and the template like a pod', () => {
    const out = replicaSetDefinition.applyDefaults(rs(structuredClone(spec)));
    expect(out.spec).toMatchObject({
      replicas: 1,
      template: { spec: { restartPolicy: 'Always' } },
    });
    expect(out.spec).not.toHaveProperty('strategy');
  });

  it('validates like a deployment', () => {
    expect(
      replicaSetDefinition
        .validate(rs({ ...spec, selector: { matchLabels: { app: 'other' } } }))
        .map((c) => c.field),
    ).toEqual(['spec.template.metadata.labels']);
    expect(
      replicaSetDefinition
        .validate(rs({ ...spec, template: { ...template, spec: { containers: [] } } }))
        .map((c) => c.field),
    ).toEqual(['spec.template.spec.containers']);
  });

  it('prints like kubectl get rs -o wide', () => {
    const o = rs({ ...spec, replicas: 3 }, { status: { replicas: 3, readyReplicas: 1 } });
    expect(replicaSetDefinition.table.row(o, now)).toEqual([
      'web-5d4f',
      3,
      3,
      1,
      '30s',
      'web,log',
      'nginx:1.25,fluent-bit',
      'app=web',
    ]);
    expect(replicaSetDefinition.table.columns.slice(1, 4).map((c) => c.type)).toEqual([
      'integer',
      'integer',
      'integer',
    ]);
    expect(replicaSetDefinition.table.row(rs({}), now)[7]).toBe('<none>');
  });

  it('selects on status.replicas', () => {
    expect(replicaSetDefinition.selectableFields(rs(spec, { status: { replicas: 2 } }))).toEqual({
      'status.replicas': '2',
    });
    expect(replicaSetDefinition.selectableFields(rs(spec))).toEqual({ 'status.replicas': '0' });
  });
});
