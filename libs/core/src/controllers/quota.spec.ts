import type { KubeObject } from '../api/types';
import { computeQuotaUsage, podResources, quotaResourceName, quotaStatus } from './quota';
import { at, deepFreeze, pod, ts } from './test-helpers';

type Obj = Record<string, any>;

function quota(hard: Record<string, string>, extra: Obj = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'default' },
    spec: { hard, ...extra.spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  spec: Obj = {},
  namespace = 'default',
): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace }, spec };
}

const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({
  ...(requests ? { requests } : {}),
  ...(limits ? { limits } : {}),
});

describe('computeQuotaUsage', () => {
  it('sums pod requests and limits as canonical quantities, only for keys in hard', () => {
    const pods = [
      pod({
        name: 'a',
        resources: res({ cpu: '250m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' }),
      }),
      pod({
        name: 'b',
        resources: res({ cpu: '0.75', memory: '256Mi' }, { cpu: '1', memory: '512Mi' }),
      }),
      pod({ name: 'c' }),
    ];
    const q = quota({
      pods: '10',
      'requests.cpu': '4',
      'requests.memory': '4Gi',
      'limits.cpu': '8',
      'limits.memory': '8Gi',
    });
    expect(computeQuotaUsage(deepFreeze(q), deepFreeze(pods))).toEqual({
      pods: '3',
      'requests.cpu': '1',
      'requests.memory': '384Mi',
      'limits.cpu': '1500m',
      'limits.memory': '768Mi',
    });
  });

  it('treats bare cpu/memory as requests and defaults requests from limits', () => {
    const p = pod({ name: 'a', resources: res(undefined, { cpu: '2', memory: '1Gi' }) });
    expect(computeQuotaUsage(quota({ cpu: '10', memory: '10Gi' }), [p])).toEqual({
      cpu: '2',
      memory: '1Gi',
    });
  });

  it('does not count terminal pods, nor pods past their deletion grace period', () => {
    const pods = [
      pod({ name: 'run', phase: 'Running', resources: res({ cpu: '1' }) }),
      pod({ name: 'failed', phase: 'Failed', resources: res({ cpu: '1' }) }),
      pod({ name: 'done', phase: 'Succeeded', resources: res({ cpu: '1' }) }),
    ];
    const going = pod({ name: 'going', resources: res({ cpu: '1' }) });
    going.metadata.deletionTimestamp = ts(0);
    going.metadata.deletionGracePeriodSeconds = 30;
    const q = quota({ pods: '10', 'requests.cpu': '10' });
    expect(computeQuotaUsage(q, [...pods, going], { now: at(10) })).toEqual({
      pods: '2',
      'requests.cpu': '2',
    });
    expect(computeQuotaUsage(q, [...pods, going], { now: at(31) })).toEqual({
      pods: '1',
      'requests.cpu': '1',
    });
  });

  it('counts objects by count/<resource>.<group> and legacy names', () => {
    const objects = [
      obj('apps/v1', 'Deployment', 'd1'),
      obj('apps/v1', 'Deployment', 'd2'),
      obj('apps/v1', 'ReplicaSet', 'r1'),
      obj('v1', 'Service', 's1', { type: 'ClusterIP', ports: [{ port: 80 }] }),
      obj('v1', 'Service', 's2', { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] }),
      obj('v1', 'Service', 's3', { type: 'LoadBalancer', ports: [{ port: 80 }] }),
      obj('v1', 'ConfigMap', 'c1'),
      obj('v1', 'Secret', 'x1'),
      obj('v1', 'ResourceQuota', 'q'),
      obj('apps/v1', 'Deployment', 'elsewhere', {}, 'other'),
      obj('example.com/v1', 'Widget', 'w1'),
    ];
    const q = quota({
      'count/deployments.apps': '5',
      'count/replicasets.apps': '5',
      'count/services': '5',
      'count/widgets.example.com': '5',
      services: '5',
      'services.loadbalancers': '1',
      'services.nodeports': '5',
      configmaps: '5',
      secrets: '5',
      resourcequotas: '1',
      replicationcontrollers: '1',
    });
    expect(computeQuotaUsage(q, objects)).toEqual({
      'count/deployments.apps': '2',
      'count/replicasets.apps': '1',
      'count/services': '3',
      'count/widgets.example.com': '1',
      services: '3',
      'services.loadbalancers': '1',
      'services.nodeports': '3',
      configmaps: '1',
      secrets: '1',
      resourcequotas: '1',
      replicationcontrollers: '0',
    });
  });

  it('keeps the previous value for resources it cannot compute', () => {
    const q = quota(
      { 'example.com/thing': '3', pods: '1' },
      { status: { used: { 'example.com/thing': '2' } } },
    );
    expect(computeQuotaUsage(q, [])).toEqual({ 'example.com/thing': '2', pods: '0' });
    expect(computeQuotaUsage(quota({ 'example.com/thing': '3' }), [])).toEqual({
      'example.com/thing': '0',
    });
  });

  it('applies scopes to pods', () => {
    const best = pod({ name: 'be' });
    const burst = pod({ name: 'burst', resources: res({ cpu: '1' }) });
    const job = pod({ name: 'job', resources: res({ cpu: '2' }) });
    (job.spec as Obj).activeDeadlineSeconds = 60;
    (job.spec as Obj).priorityClassName = 'high';
    const pods = [best, burst, job];
    expect(
      computeQuotaUsage(quota({ pods: '9' }, { spec: { scopes: ['BestEffort'] } }), pods),
    ).toEqual({ pods: '1' });
    expect(
      computeQuotaUsage(
        quota({ pods: '9', 'requests.cpu': '9' }, { spec: { scopes: ['NotBestEffort'] } }),
        pods,
      ),
    ).toEqual({ pods: '2', 'requests.cpu': '3' });
    expect(
      computeQuotaUsage(quota({ pods: '9' }, { spec: { scopes: ['Terminating'] } }), pods),
    ).toEqual({ pods: '1' });
    expect(
      computeQuotaUsage(
        quota({ pods: '9' }, { spec: { scopes: ['NotTerminating', 'NotBestEffort'] } }),
        pods,
      ),
    ).toEqual({ pods: '1' });
    const byPriority = (operator: string, values?: string[]) =>
      computeQuotaUsage(
        quota(
          { pods: '9' },
          {
            spec: {
              scopeSelector: {
                matchExpressions: [{ scopeName: 'PriorityClass', operator, values }],
              },
            },
          },
        ),
        pods,
      ).pods;
    expect(byPriority('In', ['high'])).toBe('1');
    expect(byPriority('NotIn', ['high'])).toBe('2');
    expect(byPriority('Exists')).toBe('1');
    expect(byPriority('DoesNotExist')).toBe('2');
  });

  it('quotaStatus reports canonical hard and used', () => {
    expect(quotaStatus(quota({ 'requests.cpu': '2000m', pods: '10' }), [])).toEqual({
      hard: { 'requests.cpu': '2', pods: '10' },
      used: { 'requests.cpu': '0', pods: '0' },
    });
  });
});

describe('podResources', () => {
  it('accounts for init containers, sidecars and overhead like Kubernetes', () => {
    const p = pod({ name: 'p', resources: res({ cpu: '500m', memory: '100Mi' }) });
    (p.spec as Obj).initContainers = [
      { name: 'setup', image: 'x', resources: res({ cpu: '2', memory: '50Mi' }) },
      {
        name: 'sidecar',
        image: 'x',
        restartPolicy: 'Always',
        resources: res({ cpu: '100m', memory: '10Mi' }),
      },
      { name: 'late-init', image: 'x', resources: res({ cpu: '1', memory: '500Mi' }) },
    ];
    (p.spec as Obj).overhead = { cpu: '10m' };
    const r = podResources(p, 'requests');
    // containers + sidecar = 600m/110Mi; init max: setup 2/50Mi, late-init + sidecar 1100m/510Mi
    expect(r.get('cpu')!.toString()).toBe('2010m');
    expect(r.get('memory')!.toString()).toBe('510Mi');
  });
});

describe('quotaResourceName', () => {
  it('names built-in, well-known and unknown kinds', () => {
    expect(quotaResourceName(obj('v1', 'Pod', 'p'))).toBe('pods');
    expect(quotaResourceName(obj('apps/v1', 'Deployment', 'd'))).toBe('deployments.apps');
    expect(quotaResourceName(obj('v1', 'ConfigMap', 'c'))).toBe('configmaps');
    expect(quotaResourceName(obj('batch/v1', 'Job', 'j'))).toBe('jobs.batch');
    expect(quotaResourceName(obj('example.com/v1', 'Policy', 'p'))).toBe('policies.example.com');
    expect(quotaResourceName(obj('example.com/v1', 'Box', 'b'))).toBe('boxes.example.com');
  });
});
