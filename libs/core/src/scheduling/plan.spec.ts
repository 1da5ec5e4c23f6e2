import type { KubeObject } from '../api/types';
import {
  addResources,
  buildNodeInfos,
  filterNodes,
  fitsIn,
  nodeAllocatable,
  numFeasibleNodesToFind,
  planBindings,
  podRequests,
  zeroResources,
  type ScoreWeights,
} from './index';
import { deepFreeze, makeNode, makePod, rng } from './test-helpers';

function bind(pod: KubeObject, nodeName: string): KubeObject {
  return { ...pod, spec: { ...(pod.spec as object), nodeName } };
}

function placements(result: ReturnType<typeof planBindings>): Record<string, string> {
  return Object.fromEntries(result.bindings.map((b) => [b.pod.metadata.name!, b.nodeName]));
}

describe('planBindings', () => {
  it('binds pods to the best node and accounts for each placement', () => {
    const nodes = [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })];
    const pods = ['p1', 'p2', 'p3', 'p4'].map((n) => makePod(n, { cpu: '1' }));
    const result = planBindings(pods, buildNodeInfos(nodes, []));
    expect(placements(result)).toEqual({ p1: 'a', p2: 'b', p3: 'a', p4: 'b' });
    expect(result.unschedulable).toEqual([]);
    expect(
      result.nodeInfos.map((i) => [i.node.metadata.name, i.requested.milliCpu, i.podCount]),
    ).toEqual([
      ['a', 2000n, 2],
      ['b', 2000n, 2],
    ]);
  });

  it('reports the pods that do not fit, with the kube-scheduler message', () => {
    const nodes = [
      makeNode('a', { cpu: '1' }),
      makeNode('b', { cpu: '1' }),
      makeNode('c', { unschedulable: true }),
    ];
    const pods = [
      makePod('fits', { cpu: '1' }),
      makePod('big', { cpu: '2', created: '2024-01-02T00:00:00Z' }),
    ];
    const result = planBindings(pods, buildNodeInfos(nodes, []));
    expect(placements(result)).toEqual({ fits: 'a' });
    expect(result.unschedulable).toEqual([
      {
        pod: pods[1],
        message: '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.',
        reasons: { 'node(s) were unschedulable': 1, 'Insufficient cpu': 2 },
      },
    ]);
  });

  it('says so when there are no nodes', () => {
    const result = planBindings([makePod('p')], []);
    expect(result.unschedulable).toEqual([
      { pod: expect.anything(), message: 'no nodes available to schedule pods', reasons: {} },
    ]);
  });

  it('schedules higher priority first, then older, then by name', () => {
    const node = makeNode('only', { cpu: '1' });
    const pods = [
      makePod('b-old', { cpu: '1', created: '2024-01-01T00:00:00Z' }),
      makePod('a-old', { cpu: '1', created: '2024-01-01T00:00:00Z' }),
      makePod('young-important', { cpu: '1', priority: 1000, created: '2024-06-01T00:00:00Z' }),
      makePod('oldest', { cpu: '1', created: '2023-01-01T00:00:00Z' }),
    ];
    const order = (ps: KubeObject[], cpu = '1') => {
      const r = planBindings(ps, buildNodeInfos([makeNode('only', { cpu })], []));
      return [
        ...r.bindings.map((b) => b.pod.metadata.name),
        '|',
        ...r.unschedulable.map((u) => u.pod.metadata.name),
      ];
    };
    expect(
      planBindings(pods, buildNodeInfos([node], [])).bindings.map((b) => b.pod.metadata.name),
    ).toEqual(['young-important']);
    expect(order(pods, '4')).toEqual(['young-important', 'oldest', 'a-old', 'b-old', '|']);
    expect(order(pods, '2')).toEqual(['young-important', 'oldest', '|', 'a-old', 'b-old']);
  });

  it('spreads pods of the same owner across nodes', () => {
    const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
    const pods = Array.from({ length: 6 }, (_, i) => makePod(`web-${i}`, { owner: 'rs-web' }));
    for (const weights of [undefined, { leastAllocated: 0, balancedAllocation: 0 }]) {
      const result = planBindings(pods, buildNodeInfos(nodes, []), weights);
      expect(result.nodeInfos.map((i) => i.ownerPods)).toEqual([
        { 'rs-web': 2 },
        { 'rs-web': 2 },
        { 'rs-web': 2 },
      ]);
    }
  });

  it('spreads an owner away from nodes that already run its pods', () => {
    const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
    const bound = [
      makePod('old-1', { owner: 'rs', nodeName: 'n1' }),
      makePod('old-2', { owner: 'rs', nodeName: 'n2' }),
    ];
    const weights: ScoreWeights = {
      leastAllocated: 0,
      balancedAllocation: 0,
      taintToleration: 0,
      nodeAffinity: 0,
      ownerSpread: 1,
    };
    const result = planBindings(
      [makePod('new', { owner: 'rs' })],
      buildNodeInfos(nodes, bound),
      weights,
    );
    expect(placements(result)).toEqual({ new: 'n3' });
  });

  it('leaves pods that are not the scheduler business alone', () => {
    const pods = [
      makePod('bound', { nodeName: 'n' }),
      makePod('deleting', { deleting: true }),
      makePod('gated', { schedulingGates: [{ name: 'wait' }] }),
      makePod('done', { phase: 'Succeeded' }),
      { ...makePod('other'), spec: { containers: [], schedulerName: 'my-scheduler' } },
      { ...makePod('default'), spec: { containers: [], schedulerName: 'default-scheduler' } },
      makePod('ok'),
      makePod('ok'),
    ];
    const result = planBindings(pods, buildNodeInfos([makeNode('n')], []));
    expect(placements(result)).toEqual({ default: 'n', ok: 'n' });
    expect(result.skipped.map((s) => [s.pod.metadata.name, s.reason])).toEqual([
      ['bound', 'AlreadyBound'],
      ['deleting', 'Terminating'],
      ['gated', 'SchedulingGated'],
      ['done', 'Finished'],
      ['other', 'OtherScheduler'],
      ['ok', 'Duplicate'],
    ]);
  });

  it('is deterministic and independent of the input order', () => {
    const r = rng(7);
    const nodes = Array.from({ length: 20 }, (_, i) =>
      makeNode(`n${i}`, { cpu: `${1 + Math.floor(r() * 4)}` }),
    );
    const pods = Array.from({ length: 60 }, (_, i) =>
      makePod(`p${i}`, { cpu: `${100 + Math.floor(r() * 900)}m`, owner: `rs-${i % 3}` }),
    );
    const infos = buildNodeInfos(nodes, []);
    const first = placements(planBindings(pods, infos));
    expect(placements(planBindings(pods, infos))).toEqual(first);
    expect(placements(planBindings([...pods].reverse(), infos))).toEqual(first);
  });

  it('does not modify its inputs', () => {
    const nodes = deepFreeze([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })]);
    const infos = deepFreeze(
      buildNodeInfos(nodes, [makePod('x', { nodeName: 'a', cpu: '500m', owner: 'o' })]),
    );
    const pods = deepFreeze([
      makePod('p1', { cpu: '500m', owner: 'o' }),
      makePod('p2', { cpu: '500m', owner: 'o' }),
    ]);
    const result = planBindings(pods, infos);
    expect(result.bindings).toHaveLength(2);
    expect(infos[0]!.requested.milliCpu).toBe(500n);
    expect(infos[0]!.ownerPods).toEqual({ o: 1 });
    expect(result.nodeInfos[0]).not.toBe(infos[0]);
  });

  describe('never over-commits (random clusters)', () => {
    const GPU = 'nvidia.com/gpu';

    function randomCluster(seed: number) {
      const r = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
      const nodes = Array.from({ length: 1 + Math.floor(r() * 12) }, (_, i) =>
        makeNode(`node-${i}`, {
          cpu: pick(['500m', '1', '2', '4', '7500m']),
          memory: pick(['512Mi', '1Gi', '4Gi', '8Gi']),
          pods: pick(['2', '5', '10', '110']),
          ephemeralStorage: pick(['1Gi', '10Gi']),
          extra: r() < 0.3 ? { [GPU]: pick(['1', '2']) } : {},
          unschedulable: r() < 0.1,
          labels: { zone: pick(['a', 'b']) },
          taints: r() < 0.15 ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined,
        }),
      );
      // Already bound pods that fit (placed greedily).
      const bound: KubeObject[] = [];
      const used = new Map(nodes.map((n) => [n.metadata.name!, zeroResources()]));
      for (let i = 0; i < 30; i++) {
        const node = pick(nodes);
        const pod = makePod(`bound-${i}`, {
          nodeName: node.metadata.name!,
          cpu: pick(['100m', '250m', '1']),
          memory: pick(['64Mi', '256Mi']),
        });
        const total = addResources(used.get(node.metadata.name!)!, podRequests(pod));
        if (fitsIn(total, nodeAllocatable(node))) {
          used.set(node.metadata.name!, total);
          bound.push(pod);
        }
      }
      const pending = Array.from({ length: 80 }, (_, i) =>
        makePod(`pod-${i}`, {
          cpu: r() < 0.1 ? undefined : pick(['50m', '100m', '300m', '1', '3']),
          memory: r() < 0.1 ? undefined : pick(['32Mi', '128Mi', '1Gi', '3Gi']),
          ephemeralStorage: r() < 0.2 ? pick(['100Mi', '2Gi']) : undefined,
          extra: r() < 0.1 ? { [GPU]: '1' } : {},
          owner: `rs-${Math.floor(r() * 4)}`,
          priority: Math.floor(r() * 3) * 100,
          created: `2024-01-01T00:00:${String(Math.floor(r() * 60)).padStart(2, '0')}Z`,
          nodeSelector: r() < 0.2 ? { zone: pick(['a', 'b']) } : undefined,
          tolerations: r() < 0.2 ? [{ key: 'dedicated', operator: 'Exists' }] : undefined,
        }),
      );
      return { nodes, bound, pending };
    }

    const seen = { bound: 0, unschedulable: 0, reasons: new Set<string>() };

    it.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i', (seed) => {
      const { nodes, bound, pending } = randomCluster(seed);
      const result = planBindings(pending, buildNodeInfos(nodes, bound));
      seen.bound += result.bindings.length;
      seen.unschedulable += result.unschedulable.length;
      for (const u of result.unschedulable)
        for (const r of Object.keys(u.reasons)) seen.reasons.add(r);

      // Every pod is accounted for exactly once, and bound at most once.
      const names = [
        ...result.bindings.map((b) => b.pod.metadata.name),
        ...result.unschedulable.map((u) => u.pod.metadata.name),
        ...result.skipped.map((s) => s.pod.metadata.name),
      ];
      expect(names.sort()).toEqual(pending.map((p) => p.metadata.name).sort());
      expect(new Set(result.bindings.map((b) => b.pod.metadata.name)).size).toBe(
        result.bindings.length,
      );

      // Per node: what is bound plus what is planned fits in allocatable.
      const all = [...bound, ...result.bindings.map((b) => bind(b.pod, b.nodeName))];
      for (const node of nodes) {
        const onNode = all.filter(
          (p) => (p.spec as { nodeName: string }).nodeName === node.metadata.name,
        );
        const sum = onNode.map(podRequests).reduce(addResources, zeroResources());
        expect(fitsIn(sum, nodeAllocatable(node))).toBe(true);
      }

      // Each placement passes every filter, given the pods placed before it.
      const placed = [...bound];
      for (const b of result.bindings) {
        const { feasible } = filterNodes(b.pod, buildNodeInfos(nodes, placed));
        expect(feasible.map((i) => i.node.metadata.name)).toContain(b.nodeName);
        placed.push(bind(b.pod, b.nodeName));
      }

      // The planner's running totals are what a fresh build over the result gives.
      expect(result.nodeInfos).toEqual(buildNodeInfos(nodes, all));

      // Capacity only shrinks during the batch, so an unschedulable pod fits nowhere at the end.
      for (const u of result.unschedulable) {
        expect(filterNodes(u.pod, result.nodeInfos).feasible).toEqual([]);
        expect(u.message).toMatch(/^0\/\d+ nodes are available: /);
      }
    });

    it('exercised both outcomes and every kind of filter', () => {
      expect(seen.bound).toBeGreaterThan(100);
      expect(seen.unschedulable).toBeGreaterThan(100);
      expect([...seen.reasons].sort()).toEqual(
        expect.arrayContaining([
          "node(s) didn't match Pod's node affinity/selector",
          'Insufficient cpu',
          'Insufficient memory',
          'Insufficient nvidia.com/gpu',
          'Too many pods',
          'node(s) had untolerated taint {dedicated: x}',
          'node(s) were unschedulable',
        ]),
      );
    });
  });

  it('plans 1,000 pods onto 1,000 nodes quickly (loose guard; bench/ measures)', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      makeNode(`node-${String(i).padStart(4, '0')}`, {
        cpu: '8',
        memory: '32Gi',
        labels: { zone: `z${i % 3}` },
        taints:
          i % 10 === 0 ? [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] : undefined,
      }),
    );
    const bound = Array.from({ length: 2000 }, (_, i) =>
      makePod(`bound-${i}`, {
        nodeName: `node-${String(i % 1000).padStart(4, '0')}`,
        cpu: '500m',
        memory: '1Gi',
        owner: `rs-${i % 50}`,
      }),
    );
    const pods = Array.from({ length: 1000 }, (_, i) =>
      makePod(`pod-${i}`, {
        cpu: '250m',
        memory: '512Mi',
        owner: `rs-${i % 50}`,
        affinity:
          i % 4 === 0
            ? {
                nodeAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 50,
                      preference: {
                        matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }],
                      },
                    },
                  ],
                },
              }
            : undefined,
      }),
    );
    const infos = buildNodeInfos(nodes, bound);
    const start = performance.now();
    const result = planBindings(pods, infos);
    const elapsed = performance.now() - start;
    expect(result.bindings).toHaveLength(1000);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('numFeasibleNodesToFind (kube-scheduler percentageOfNodesToScore)', () => {
  it('considers every node in small clusters and an adaptive share in large ones', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(99)).toBe(99);
    // 1,000 nodes: 50% - 1,000/125 = 42% → 420.
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    // 5,000 nodes: 50% - 40% = 10% → 500; 10,000: floor at 5% → 500.
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(10000)).toBe(500);
    // Never fewer than 100; 100% means all.
    expect(numFeasibleNodesToFind(150, 10)).toBe(100);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
  });

  it('stops each search early in a large cluster, yet spreads pods and never overcommits', () => {
    const nodes = Array.from({ length: 300 }, (_, i) =>
      makeNode(`n${String(i).padStart(3, '0')}`, { cpu: '1' }),
    );
    const pods = Array.from({ length: 600 }, (_, i) => makePod(`p${i}`, { cpu: '500m' }));
    const result = planBindings(pods, buildNodeInfos(nodes, []));
    expect(result.bindings).toHaveLength(600);
    const perNode = new Map<string, number>();
    for (const b of result.bindings) perNode.set(b.nodeName, (perNode.get(b.nodeName) ?? 0) + 1);
    expect(perNode.size).toBe(300);
    expect([...perNode.values()].every((n) => n === 2)).toBe(true);
    // One more does not fit anywhere: every node was looked at for the message.
    const more = planBindings([makePod('extra', { cpu: '500m' })], result.nodeInfos);
    expect(more.unschedulable[0]?.message).toBe('0/300 nodes are available: 300 Insufficient cpu.');
  });
});
