import type { KubeObject } from '../api/types';
import { buildNodeInfos, DEFAULT_SCORE_WEIGHTS, scoreNodes, type ScoreWeights } from './index';
import { deepFreeze, makeNode, makePod } from './test-helpers';

const NONE: ScoreWeights = {
  leastAllocated: 0,
  balancedAllocation: 0,
  ownerSpread: 0,
  taintToleration: 0,
  nodeAffinity: 0,
};

function scores(
  pod: KubeObject,
  nodes: KubeObject[],
  bound: KubeObject[] = [],
  weights?: Partial<ScoreWeights>,
): Array<[string, number]> {
  return scoreNodes(pod, buildNodeInfos(nodes, bound), weights).map((s) => [
    s.info.node.metadata.name!,
    s.score,
  ]);
}

describe('DEFAULT_SCORE_WEIGHTS', () => {
  it("follows kube-scheduler's default profile", () => {
    expect(DEFAULT_SCORE_WEIGHTS).toEqual({
      leastAllocated: 1,
      balancedAllocation: 1,
      ownerSpread: 2,
      taintToleration: 3,
      nodeAffinity: 2,
    });
    expect(Object.isFrozen(DEFAULT_SCORE_WEIGHTS)).toBe(true);
  });
});

describe('scoreNodes', () => {
  it('adds the weighted components (worked example)', () => {
    // 4 cpu / 8Gi, empty; pod 1 cpu / 2Gi:
    // LeastAllocated (75 + 75) / 2 = 75; Balanced 100 (.25 vs .25); TaintToleration 100 (no
    // PreferNoSchedule taint anywhere) × 3; no preferred affinity; no owner.
    expect(scores(makePod('p', { cpu: '1', memory: '2Gi' }), [makeNode('n')])).toEqual([
      ['n', 475],
    ]);
  });

  it('prefers an empty node to a half-full one', () => {
    const bound = [makePod('b', { nodeName: 'half', cpu: '2', memory: '4Gi' })];
    const result = scores(
      makePod('p', { cpu: '1', memory: '2Gi' }),
      [makeNode('half'), makeNode('empty')],
      bound,
    );
    expect(result.map(([n]) => n)).toEqual(['empty', 'half']);
    expect(result[0]![1]).toBeGreaterThan(result[1]![1]);
  });

  it('spreads pods without requests by counting them as 100m / 200Mi (LeastAllocated)', () => {
    const bound = Array.from({ length: 5 }, (_, i) => makePod(`b${i}`, { nodeName: 'busy' }));
    const result = scores(makePod('p'), [makeNode('busy'), makeNode('idle')], bound, {
      ...NONE,
      leastAllocated: 1,
    });
    expect(result.map(([n]) => n)).toEqual(['idle', 'busy']);
  });

  it('prefers the node where cpu and memory use stay balanced (BalancedAllocation)', () => {
    const bound = [makePod('cpu-heavy', { nodeName: 'x', cpu: '2' })];
    const pod = makePod('p', { memory: '4Gi' });
    expect(
      scores(pod, [makeNode('y'), makeNode('x')], bound, { ...NONE, balancedAllocation: 1 }),
    ).toEqual([
      ['x', 100], // cpu .5, memory .5
      ['y', 75], // cpu 0, memory .5: std .25
    ]);
  });

  it('skips BalancedAllocation for pods requesting no cpu and no memory', () => {
    const bound = [makePod('cpu-heavy', { nodeName: 'x', cpu: '2' })];
    expect(
      scores(makePod('p'), [makeNode('x'), makeNode('y')], bound, {
        ...NONE,
        balancedAllocation: 1,
      }),
    ).toEqual([
      ['x', 0],
      ['y', 0],
    ]);
  });

  it('penalizes untolerated PreferNoSchedule taints (TaintToleration)', () => {
    const nodes = [
      makeNode('two', {
        taints: [
          { key: 'spot', value: 'true', effect: 'PreferNoSchedule' },
          { key: 'old', value: 'true', effect: 'PreferNoSchedule' },
        ],
      }),
      makeNode('one', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }),
      makeNode('clean'),
    ];
    expect(scores(makePod('p'), nodes, [], { ...NONE, taintToleration: 1 })).toEqual([
      ['clean', 100],
      ['one', 50],
      ['two', 0],
    ]);
    const tolerant = makePod('p', {
      tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }],
    });
    expect(scores(tolerant, nodes, [], { ...NONE, taintToleration: 1 })).toEqual([
      ['clean', 100],
      ['one', 100],
      ['two', 0],
    ]);
  });

  it('favours nodes matching preferred node affinity terms, by weight (NodeAffinity)', () => {
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 80,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
            {
              weight: 20,
              preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
            },
            { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    });
    const nodes = [
      makeNode('plain'),
      makeNode('z1', { labels: { zone: 'z1' } }),
      makeNode('ssd', { labels: { disk: 'ssd' } }),
      makeNode('ssd-z1', { labels: { disk: 'ssd', zone: 'z1' } }),
    ];
    expect(scores(pod, nodes, [], { ...NONE, nodeAffinity: 1 })).toEqual([
      ['ssd-z1', 100],
      ['ssd', 80],
      ['z1', 20],
      ['plain', 0],
    ]);
  });

  it('spreads pods of the same controller (fewer of its pods → higher score)', () => {
    const bound = [
      makePod('a1', { nodeName: 'a', owner: 'rs-1' }),
      makePod('a2', { nodeName: 'a', owner: 'rs-1' }),
      makePod('b1', { nodeName: 'b', owner: 'rs-1' }),
      makePod('c1', { nodeName: 'c', owner: 'rs-other' }),
      makePod('c2', { nodeName: 'c', owner: 'rs-other' }),
    ];
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
    expect(
      scores(makePod('p', { owner: 'rs-1' }), nodes, bound, { ...NONE, ownerSpread: 1 }),
    ).toEqual([
      ['c', 100],
      ['b', 50],
      ['a', 0],
    ]);
    // No owner: the component does not apply.
    expect(
      scores(makePod('p'), nodes, bound, { ...NONE, ownerSpread: 1 }).map(([, s]) => s),
    ).toEqual([0, 0, 0]);
  });

  it('breaks ties by node name and returns best first', () => {
    const nodes = [makeNode('n3'), makeNode('n1'), makeNode('n2')];
    expect(scores(makePod('p', { cpu: '1' }), nodes).map(([n]) => n)).toEqual(['n1', 'n2', 'n3']);
  });

  it('fills in missing weights from the defaults and rejects invalid ones', () => {
    const nodes = [makeNode('n')];
    expect(
      scores(makePod('p', { cpu: '1', memory: '2Gi' }), nodes, [], { taintToleration: 0 }),
    ).toEqual([['n', 175]]);
    expect(() => scores(makePod('p'), nodes, [], { ownerSpread: -1 })).toThrow(RangeError);
    expect(() => scores(makePod('p'), nodes, [], { nodeAffinity: Number.NaN })).toThrow(RangeError);
  });

  it('returns an empty list for no nodes and does not modify its inputs', () => {
    expect(scoreNodes(makePod('p'), [])).toEqual([]);
    const infos = deepFreeze(
      buildNodeInfos([makeNode('a'), makeNode('b')], [makePod('x', { nodeName: 'a', owner: 'o' })]),
    );
    const pod = deepFreeze(makePod('p', { owner: 'o', cpu: '1' }));
    const result = scoreNodes(pod, infos);
    expect(result.map((r) => r.info)).toEqual([infos[1], infos[0]]);
    expect(result[0]!.info).toBe(infos[1]);
  });
});
