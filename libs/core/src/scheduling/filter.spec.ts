import type { KubeObject } from '../api/types';
import {
  buildNodeInfos,
  filterNodes,
  NO_NODES_AVAILABLE_MESSAGE,
  unschedulableMessage,
  type NodeInfo,
} from './index';
import { deepFreeze, makeNode, makePod } from './test-helpers';

function names(infos: NodeInfo[]): string[] {
  return infos.map((i) => i.node.metadata.name!);
}

function filter(pod: KubeObject, nodes: KubeObject[], bound: KubeObject[] = []) {
  const result = filterNodes(pod, buildNodeInfos(nodes, bound));
  return { feasible: names(result.feasible), reasons: result.reasons };
}

describe('filterNodes', () => {
  it('keeps every node that passes, in order', () => {
    expect(filter(makePod('p', { cpu: '1' }), [makeNode('b'), makeNode('a')])).toEqual({
      feasible: ['b', 'a'],
      reasons: {},
    });
  });

  describe('NodeUnschedulable', () => {
    const cordoned = makeNode('cordoned', { unschedulable: true });

    it('rejects cordoned nodes', () => {
      expect(filter(makePod('p'), [cordoned, makeNode('ok')])).toEqual({
        feasible: ['ok'],
        reasons: { 'node(s) were unschedulable': 1 },
      });
    });

    it('lets pods that tolerate node.kubernetes.io/unschedulable:NoSchedule through', () => {
      const pod = makePod('p', {
        tolerations: [
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
        ],
      });
      expect(filter(pod, [cordoned]).feasible).toEqual(['cordoned']);
      const wrongEffect = makePod('p', {
        tolerations: [
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' },
        ],
      });
      expect(filter(wrongEffect, [cordoned]).feasible).toEqual([]);
    });

    it('rejects nodes being deleted, whatever the pod tolerates', () => {
      const deleting = makeNode('going', { deleting: true });
      // buildNodeInfos leaves them out altogether …
      expect(buildNodeInfos([deleting], [])).toEqual([]);
      // … and a hand-built info for one is rejected as unschedulable.
      const info: NodeInfo = { ...buildNodeInfos([makeNode('going')], [])[0]!, node: deleting };
      const everything = makePod('p', { tolerations: [{ operator: 'Exists' }] });
      const result = filterNodes(everything, [info]);
      expect(result.feasible).toEqual([]);
      expect(result.reasons).toEqual({ 'node(s) were unschedulable': 1 });
    });
  });

  describe('NodeName', () => {
    it('only keeps the node a pod is pinned to', () => {
      const pod = makePod('p', { nodeName: 'b' });
      expect(filter(pod, [makeNode('a'), makeNode('b'), makeNode('c')])).toEqual({
        feasible: ['b'],
        reasons: { "node(s) didn't match the requested node name": 2 },
      });
    });
  });

  describe('TaintToleration', () => {
    const gpu = makeNode('gpu', {
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    });
    const notReady = makeNode('not-ready', {
      taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
    });

    it('rejects untolerated NoSchedule and NoExecute taints, naming the taint', () => {
      expect(filter(makePod('p'), [gpu, notReady])).toEqual({
        feasible: [],
        reasons: {
          'node(s) had untolerated taint {dedicated: gpu}': 1,
          'node(s) had untolerated taint {node.kubernetes.io/not-ready: }': 1,
        },
      });
    });

    it('keeps nodes whose taints are all tolerated', () => {
      const pod = makePod('p', {
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 300,
          },
        ],
      });
      expect(filter(pod, [gpu, notReady]).feasible).toEqual(['gpu', 'not-ready']);
    });

    it('names the first untolerated taint only', () => {
      const node = makeNode('n', {
        taints: [
          { key: 'a', value: '1', effect: 'NoSchedule' },
          { key: 'b', value: '2', effect: 'NoSchedule' },
        ],
      });
      expect(filter(makePod('p'), [node]).reasons).toEqual({
        'node(s) had untolerated taint {a: 1}': 1,
      });
    });

    it('does not filter on PreferNoSchedule taints', () => {
      const soft = makeNode('soft', {
        taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }],
      });
      expect(filter(makePod('p'), [soft]).feasible).toEqual(['soft']);
    });

    it('does not look at the Ready condition itself (the not-ready taint is what counts)', () => {
      const node = makeNode('n');
      (node.status as { conditions: unknown[] }).conditions = [{ type: 'Ready', status: 'False' }];
      expect(filter(makePod('p'), [node]).feasible).toEqual(['n']);
    });
  });

  describe('NodeAffinity', () => {
    const nodes = [
      makeNode('ssd-z1', { labels: { disk: 'ssd', zone: 'z1' } }),
      makeNode('hdd-z1', { labels: { disk: 'hdd', zone: 'z1' } }),
      makeNode('ssd-z2', { labels: { disk: 'ssd', zone: 'z2' } }),
    ];
    const reason = "node(s) didn't match Pod's node affinity/selector";

    it('applies spec.nodeSelector', () => {
      expect(filter(makePod('p', { nodeSelector: { disk: 'ssd' } }), nodes)).toEqual({
        feasible: ['ssd-z1', 'ssd-z2'],
        reasons: { [reason]: 1 },
      });
      expect(filter(makePod('p', { nodeSelector: {} }), nodes).feasible).toHaveLength(3);
    });

    it('applies required node affinity terms', () => {
      const pod = makePod('p', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd-z1'] }] },
              ],
            },
          },
        },
      });
      expect(filter(pod, nodes)).toEqual({
        feasible: ['hdd-z1', 'ssd-z2'],
        reasons: { [reason]: 1 },
      });
    });

    it('requires both the node selector and the affinity', () => {
      const pod = makePod('p', {
        nodeSelector: { disk: 'ssd' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z2'] }] },
              ],
            },
          },
        },
      });
      expect(filter(pod, nodes)).toEqual({ feasible: ['ssd-z1'], reasons: { [reason]: 2 } });
    });

    it('ignores preferred terms when filtering', () => {
      const pod = makePod('p', {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 10,
                preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z9'] }] },
              },
            ],
          },
        },
      });
      expect(filter(pod, nodes).feasible).toHaveLength(3);
    });
  });

  describe('NodeResourcesFit', () => {
    const node = makeNode('n', {
      cpu: '2',
      memory: '4Gi',
      pods: '3',
      ephemeralStorage: '10Gi',
      extra: { 'nvidia.com/gpu': '1' },
    });
    const bound = [
      makePod('b1', { nodeName: 'n', cpu: '1500m', memory: '3Gi', ephemeralStorage: '8Gi' }),
      makePod('b2', { nodeName: 'n', extra: { 'nvidia.com/gpu': '1' } }),
    ];

    it.each([
      ['cpu', { cpu: '501m' }, 'Insufficient cpu'],
      ['memory', { memory: '1025Mi' }, 'Insufficient memory'],
      ['ephemeral-storage', { ephemeralStorage: '3Gi' }, 'Insufficient ephemeral-storage'],
      ['an extended resource', { extra: { 'nvidia.com/gpu': '1' } }, 'Insufficient nvidia.com/gpu'],
      [
        'a resource the node lacks',
        { extra: { 'example.com/fpga': '1' } },
        'Insufficient example.com/fpga',
      ],
    ])('reports insufficient %s', (_name, opts, reason) => {
      expect(filter(makePod('p', opts), [node], bound)).toEqual({
        feasible: [],
        reasons: { [reason]: 1 },
      });
    });

    it('accepts requests that fit exactly', () => {
      const pod = makePod('p', { cpu: '500m', memory: '1Gi', ephemeralStorage: '2Gi' });
      expect(filter(pod, [node], bound).feasible).toEqual(['n']);
    });

    it('reports Too many pods when the node has no pod slot left', () => {
      const full = [...bound, makePod('b3', { nodeName: 'n' })];
      expect(filter(makePod('p'), [node], full).reasons).toEqual({ 'Too many pods': 1 });
    });

    it('reports every insufficient resource of one node, each once', () => {
      const full = [...bound, makePod('b3', { nodeName: 'n' })];
      const pod = makePod('p', { cpu: '1', memory: '2Gi', extra: { 'nvidia.com/gpu': '1' } });
      expect(filter(pod, [node], full).reasons).toEqual({
        'Too many pods': 1,
        'Insufficient cpu': 1,
        'Insufficient memory': 1,
        'Insufficient nvidia.com/gpu': 1,
      });
    });

    it('lets a pod without requests onto an over-committed node', () => {
      const over = [makePod('big', { nodeName: 'n', cpu: '3', memory: '5Gi' })];
      expect(filter(makePod('p'), [node], over).feasible).toEqual(['n']);
      expect(filter(makePod('p', { cpu: '1m' }), [node], over).reasons).toEqual({
        'Insufficient cpu': 1,
      });
    });

    it('does not count finished pods, pods of other nodes or duplicates', () => {
      const others = [
        makePod('done', { nodeName: 'n', cpu: '2', phase: 'Succeeded' }),
        makePod('failed', { nodeName: 'n', cpu: '2', phase: 'Failed' }),
        makePod('elsewhere', { nodeName: 'm', cpu: '2' }),
        makePod('half', { nodeName: 'n', cpu: '1' }),
        makePod('half', { nodeName: 'n', cpu: '1' }),
      ];
      expect(filter(makePod('p', { cpu: '1' }), [node], others).feasible).toEqual(['n']);
    });

    it('counts terminating pods until they are gone', () => {
      const terminating = [makePod('t', { nodeName: 'n', cpu: '2', deleting: true })];
      expect(filter(makePod('p', { cpu: '1' }), [node], terminating).reasons).toEqual({
        'Insufficient cpu': 1,
      });
    });
  });

  it('reports the first failing filter of each node only', () => {
    const nodes = [
      makeNode('cordoned-small', { unschedulable: true, cpu: '1' }),
      makeNode('tainted-small', {
        cpu: '1',
        taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
      }),
      makeNode('unlabelled-small', { cpu: '1' }),
      makeNode('small', { cpu: '1', labels: { tier: 'web' } }),
    ];
    const pod = makePod('p', { cpu: '2', nodeSelector: { tier: 'web' } });
    expect(filter(pod, nodes).reasons).toEqual({
      'node(s) were unschedulable': 1,
      'node(s) had untolerated taint {k: v}': 1,
      "node(s) didn't match Pod's node affinity/selector": 1,
      'Insufficient cpu': 1,
    });
  });

  it('does not modify its inputs', () => {
    const nodes = deepFreeze([makeNode('a', { cpu: '1' }), makeNode('b')]);
    const infos = deepFreeze(buildNodeInfos(nodes, [makePod('x', { nodeName: 'a', cpu: '1' })]));
    const pod = deepFreeze(makePod('p', { cpu: '1' }));
    expect(names(filterNodes(pod, infos).feasible)).toEqual(['b']);
  });
});

describe('unschedulableMessage', () => {
  it('formats like kube-scheduler', () => {
    expect(
      unschedulableMessage(3, { 'Insufficient cpu': 2, 'node(s) were unschedulable': 1 }),
    ).toBe('0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
  });

  it('sorts the "<count> <reason>" strings as strings, count included (Go sort.Strings)', () => {
    expect(
      unschedulableMessage(13, {
        'Insufficient memory': 2,
        'Insufficient cpu': 10,
        "node(s) didn't match Pod's node affinity/selector": 1,
        'Too many pods': 2,
      }),
    ).toBe(
      "0/13 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 10 Insufficient cpu, 2 Insufficient memory, 2 Too many pods.",
    );
  });

  it('says there are no nodes when there are none', () => {
    expect(unschedulableMessage(0, {})).toBe('no nodes available to schedule pods');
    expect(NO_NODES_AVAILABLE_MESSAGE).toBe('no nodes available to schedule pods');
  });

  it('ends after the colon when there is no reason, as kube-scheduler does', () => {
    expect(unschedulableMessage(2, {})).toBe('0/2 nodes are available:');
  });

  it('matches filterNodes output end to end', () => {
    const nodes = [
      makeNode('a', { cpu: '1' }),
      makeNode('b', { cpu: '1' }),
      makeNode('c', { unschedulable: true }),
    ];
    const { reasons } = filter(makePod('p', { cpu: '2' }), nodes);
    expect(unschedulableMessage(nodes.length, reasons)).toBe(
      '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.',
    );
  });
});
