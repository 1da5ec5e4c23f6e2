import type { KubeObject } from '../api/types';
import {
  buildNodeInfos,
  filterNodes,
  hostPortsConflict,
  planBindings,
  podHostPorts,
  REASON_NODE_PORTS,
} from './index';
import { makeNode, makePod } from './test-helpers';

/** A pod whose container asks for these host ports. */
function withPorts(
  name: string,
  ports: Array<{ hostPort?: number; protocol?: string; hostIP?: string }>,
  nodeName?: string,
): KubeObject {
  const pod = makePod(name, nodeName ? { nodeName } : {});
  const spec = pod.spec as { containers: Array<Record<string, unknown>> };
  spec.containers[0].ports = ports.map((p, i) => ({ containerPort: 8000 + i, ...p }));
  return pod;
}

describe('host ports (NodePorts)', () => {
  it('reads the ports a pod asks of its node, defaulting protocol and address', () => {
    const pod = withPorts('p', [
      { hostPort: 80 },
      { hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' },
      {},
    ]);
    expect(podHostPorts(pod)).toEqual(['TCP/80/0.0.0.0', 'UDP/53/127.0.0.1']);
  });

  it.each([
    ['TCP/80/0.0.0.0', 'TCP/80/10.0.0.1', true],
    ['TCP/80/10.0.0.1', 'TCP/80/10.0.0.1', true],
    ['TCP/80/10.0.0.1', 'TCP/80/10.0.0.2', false],
    ['TCP/80/0.0.0.0', 'UDP/80/0.0.0.0', false],
    ['TCP/80/0.0.0.0', 'TCP/81/0.0.0.0', false],
  ])('%s and %s conflict: %s', (a, b, conflict) => {
    expect(hostPortsConflict(a, b)).toBe(conflict);
    expect(hostPortsConflict(b, a)).toBe(conflict);
  });

  it('filters out the nodes where a bound pod holds the port', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    const bound = [withPorts('web-0', [{ hostPort: 8080 }], 'a')];
    const result = filterNodes(
      withPorts('web-1', [{ hostPort: 8080 }]),
      buildNodeInfos(nodes, bound),
    );
    expect(result.feasible.map((i) => i.node.metadata.name)).toEqual(['b']);
    expect(result.reasons).toEqual({ [REASON_NODE_PORTS]: 1 });
    // A finished pod holds nothing.
    const done = [{ ...bound[0], status: { phase: 'Succeeded' } }];
    expect(
      filterNodes(withPorts('web-1', [{ hostPort: 8080 }]), buildNodeInfos(nodes, done)).feasible,
    ).toHaveLength(2);
  });

  it('never plans two pods of one batch onto the same port of a node', () => {
    const pods = ['a', 'b', 'c'].map((n) => withPorts(n, [{ hostPort: 9100 }]));
    const result = planBindings(pods, buildNodeInfos([makeNode('n1'), makeNode('n2')], []));
    expect(new Set(result.bindings.map((b) => b.nodeName))).toEqual(new Set(['n1', 'n2']));
    expect(result.bindings).toHaveLength(2);
    expect(result.unschedulable).toHaveLength(1);
    expect(result.unschedulable[0].message).toContain(REASON_NODE_PORTS);
  });
});
