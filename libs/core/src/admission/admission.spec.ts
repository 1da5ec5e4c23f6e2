import type { KubeObject } from '../api/types';
import {
  applyLimitRangeDefaults,
  chargeQuota,
  ledgerComplete,
  limitRangeMessage,
  limitRangeViolations,
  quotaExceededMessage,
} from './index';

function pod(name: string, resources?: object): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'a' },
    spec: { containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] },
  };
}

function limitRange(limits: object[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'l', namespace: 'a' },
    spec: { limits },
  };
}

describe('chargeQuota', () => {
  const limits = {
    hard: { pods: '3', 'requests.cpu': '1', 'count/services': '2' },
    used: { pods: '2', 'requests.cpu': '900m', 'count/services': '0' },
  };

  it('adds what the object uses and reports the keys that go over', () => {
    const c = chargeQuota(limits, pod('p', { requests: { cpu: '200m' } }));
    expect(c.requested).toEqual({ pods: '1', 'requests.cpu': '200m' });
    expect(c.used).toEqual({ pods: '3', 'requests.cpu': '1100m', 'count/services': '0' });
    expect(c.exceeded).toEqual(['requests.cpu']);
    expect(quotaExceededMessage(pod('p'), 'compute', limits, c)).toBe(
      'pods "p" is forbidden: exceeded quota: compute, requested: requests.cpu=200m, used: requests.cpu=900m, limited: requests.cpu=1',
    );
  });

  it('fits exactly at the limit, and charges nothing to keys the object does not use', () => {
    const c = chargeQuota(limits, pod('p', { requests: { cpu: '100m' } }));
    expect(c.exceeded).toEqual([]);
    expect(c.used['requests.cpu']).toBe('1');
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'a' },
      spec: {},
    };
    expect(chargeQuota(limits, svc)).toMatchObject({
      requested: { 'count/services': '1' },
      exceeded: [],
    });
  });

  it('knows when the ledger has not been computed yet', () => {
    expect(ledgerComplete(limits)).toBe(true);
    expect(ledgerComplete({ hard: { pods: '1' }, used: {} })).toBe(false);
  });

  it('words a tenant denial', () => {
    const l = { hard: { pods: '1' }, used: { pods: '1' } };
    expect(quotaExceededMessage(pod('p'), 'team-a', l, chargeQuota(l, pod('p')), true)).toBe(
      'pods "p" is forbidden: exceeded tenant quota: team-a, requested: pods=1, used: pods=1, limited: pods=1',
    );
  });
});

describe('LimitRange admission', () => {
  it('fills defaults: limit from default, request from defaultRequest or else the limit', () => {
    const p = pod('p', { limits: { memory: '1Gi' } });
    applyLimitRangeDefaults(p, [
      limitRange([
        { type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '250m' } },
      ]),
    ]);
    expect(
      (p.spec as { containers: Array<{ resources: object }> }).containers[0].resources,
    ).toEqual({
      limits: { memory: '1Gi', cpu: '500m' },
      requests: { cpu: '250m', memory: '1Gi' },
    });
  });

  it('reports Kubernetes-worded violations, one per constraint', () => {
    const ranges = [
      limitRange([{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '1', memory: '1Gi' } }]),
    ];
    expect(
      limitRangeViolations(
        pod('p', { requests: { cpu: '50m' }, limits: { cpu: '2', memory: '512Mi' } }),
        ranges,
      ),
    ).toEqual([
      'minimum cpu usage per Container is 100m, but request is 50m',
      'maximum cpu usage per Container is 1, but limit is 2',
    ]);
    const none = limitRangeViolations(pod('q'), ranges);
    expect(none).toEqual([
      'minimum cpu usage per Container is 100m.  No request is specified',
      'maximum cpu usage per Container is 1.  No limit is specified',
      'maximum memory usage per Container is 1Gi.  No limit is specified',
    ]);
    expect(limitRangeMessage(pod('q'), none.slice(0, 1))).toBe(
      'pods "q" is forbidden: minimum cpu usage per Container is 100m.  No request is specified',
    );
    expect(limitRangeMessage(pod('q'), none.slice(0, 2))).toMatch(
      /^pods "q" is forbidden: \[minimum .*, maximum .*\]$/,
    );
  });

  it('checks the sum of a pod against type Pod limits', () => {
    const p: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x',
            resources: { limits: { cpu: '600m' }, requests: { cpu: '600m' } },
          },
          {
            name: 'b',
            image: 'x',
            resources: { limits: { cpu: '600m' }, requests: { cpu: '600m' } },
          },
        ],
      },
    };
    expect(limitRangeViolations(p, [limitRange([{ type: 'Pod', max: { cpu: '1' } }])])).toEqual([
      'maximum cpu usage per Pod is 1, but limit is 1200m',
    ]);
  });
});
