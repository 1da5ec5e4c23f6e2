import { buildNodeInfos, controllerUid, occupiesNode } from './index';
import { deepFreeze, makeNode, makePod } from './test-helpers';

const Mi = 1024n * 1024n;
const Gi = 1024n * Mi;

describe('buildNodeInfos', () => {
  it('sums the requests of the pods bound to each node', () => {
    const nodes = [makeNode('a', { cpu: '4', memory: '8Gi' }), makeNode('b')];
    const pods = [
      makePod('p1', { nodeName: 'a', cpu: '1', memory: '1Gi', owner: 'rs-1' }),
      makePod('p2', { nodeName: 'a', cpu: '500m', owner: 'rs-1' }),
      makePod('p3', { nodeName: 'a', owner: 'rs-2' }),
      makePod('p4', { nodeName: 'b', memory: '2Gi' }),
    ];
    const [a, b] = buildNodeInfos(nodes, pods);
    expect(a).toEqual({
      node: nodes[0],
      allocatable: {
        milliCpu: 4000n,
        memory: 8n * Gi,
        pods: 110,
        ephemeralStorage: 0n,
        scalar: {},
      },
      requested: { milliCpu: 1500n, memory: Gi, pods: 3, ephemeralStorage: 0n, scalar: {} },
      // p2 has no memory request and p3 no request at all: 200Mi / 100m each for scoring.
      nonZeroRequested: { milliCpu: 1600n, memory: Gi + 400n * Mi },
      podCount: 3,
      ownerPods: { 'rs-1': 2, 'rs-2': 1 },
    });
    expect(b!.requested.memory).toBe(2n * Gi);
    expect(b!.podCount).toBe(1);
    expect(b!.ownerPods).toEqual({});
  });

  it('leaves out deleting, unnamed and duplicate nodes', () => {
    const unnamed = makeNode('x');
    delete unnamed.metadata.name;
    const infos = buildNodeInfos(
      [
        makeNode('a', { cpu: '1' }),
        makeNode('gone', { deleting: true }),
        unnamed,
        makeNode('a', { cpu: '2' }),
      ],
      [],
    );
    expect(infos.map((i) => [i.node.metadata.name, i.allocatable.milliCpu])).toEqual([
      ['a', 1000n],
    ]);
  });

  it('ignores unbound, finished, unknown-node and repeated pods', () => {
    const pods = [
      makePod('pending', { cpu: '1' }),
      makePod('done', { nodeName: 'a', cpu: '1', phase: 'Succeeded' }),
      makePod('failed', { nodeName: 'a', cpu: '1', phase: 'Failed' }),
      makePod('lost', { nodeName: 'nowhere', cpu: '1' }),
      makePod('twice', { nodeName: 'a', cpu: '1', uid: 'u1' }),
      makePod('twice-renamed', { nodeName: 'a', cpu: '1', uid: 'u1' }),
      makePod('running', { nodeName: 'a', cpu: '1', phase: 'Running' }),
    ];
    const [a] = buildNodeInfos([makeNode('a')], pods);
    expect(a!.requested.milliCpu).toBe(2000n);
    expect(a!.podCount).toBe(2);
  });

  it('does not modify its inputs', () => {
    const nodes = deepFreeze([makeNode('a')]);
    const pods = deepFreeze([makePod('p', { nodeName: 'a', cpu: '1', owner: 'o' })]);
    expect(buildNodeInfos(nodes, pods)[0]!.podCount).toBe(1);
  });
});

describe('controllerUid', () => {
  it('returns the uid of the controlling owner only', () => {
    expect(controllerUid(makePod('p', { owner: 'rs-1' }))).toBe('rs-1');
    const notController = makePod('p');
    notController.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }];
    expect(controllerUid(notController)).toBeUndefined();
    expect(controllerUid(makePod('p'))).toBeUndefined();
  });
});

describe('occupiesNode', () => {
  it('is true for bound pods that have not finished', () => {
    expect(occupiesNode(makePod('p', { nodeName: 'n' }))).toBe(true);
    expect(occupiesNode(makePod('p', { nodeName: 'n', deleting: true }))).toBe(true);
    expect(occupiesNode(makePod('p', { nodeName: 'n', phase: 'Failed' }))).toBe(false);
    expect(occupiesNode(makePod('p'))).toBe(false);
  });
});
