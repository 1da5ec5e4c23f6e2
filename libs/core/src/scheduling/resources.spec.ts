import type { KubeObject } from '../api/types';
import {
  addResources,
  fitsIn,
  isScalarResourceName,
  nodeAllocatable,
  podNonZeroRequests,
  podRequests,
  subResources,
  zeroResources,
  type Resources,
} from './index';
import { deepFreeze, makeNode, makePod } from './test-helpers';

const Mi = 1024n * 1024n;
const Gi = 1024n * Mi;

function res(partial: Partial<Resources>): Resources {
  return { ...zeroResources(), ...partial };
}

function podWith(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec };
}

function container(name: string, requests?: Record<string, unknown>, extra = {}) {
  return { name, image: 'x', ...(requests ? { resources: { requests } } : {}), ...extra };
}

describe('resource arithmetic', () => {
  const a = res({
    milliCpu: 500n,
    memory: Gi,
    pods: 1,
    ephemeralStorage: 10n,
    scalar: { 'x.io/a': 2n },
  });
  const b = res({ milliCpu: 250n, memory: Mi, pods: 2, scalar: { 'x.io/a': 1n, 'x.io/b': 3n } });

  it('adds and subtracts every dimension, without touching the inputs', () => {
    deepFreeze(a);
    deepFreeze(b);
    expect(addResources(a, b)).toEqual({
      milliCpu: 750n,
      memory: Gi + Mi,
      pods: 3,
      ephemeralStorage: 10n,
      scalar: { 'x.io/a': 3n, 'x.io/b': 3n },
    });
    expect(subResources(a, b)).toEqual({
      milliCpu: 250n,
      memory: Gi - Mi,
      pods: -1,
      ephemeralStorage: 10n,
      scalar: { 'x.io/a': 1n, 'x.io/b': -3n },
    });
  });

  it('fitsIn compares only the dimensions the request uses', () => {
    const avail = res({ milliCpu: 1000n, memory: Gi, pods: 1, scalar: { 'x.io/a': 1n } });
    expect(fitsIn(res({ milliCpu: 1000n, memory: Gi, pods: 1 }), avail)).toBe(true);
    expect(fitsIn(res({ milliCpu: 1001n }), avail)).toBe(false);
    expect(fitsIn(res({ memory: Gi + 1n }), avail)).toBe(false);
    expect(fitsIn(res({ pods: 2 }), avail)).toBe(false);
    expect(fitsIn(res({ ephemeralStorage: 1n }), avail)).toBe(false);
    expect(fitsIn(res({ scalar: { 'x.io/a': 2n } }), avail)).toBe(false);
    expect(fitsIn(res({ scalar: { 'x.io/b': 1n } }), avail)).toBe(false);
    // A zero request fits even where nothing is left (kube-scheduler's rule).
    expect(fitsIn(res({}), res({ milliCpu: -5n, memory: -1n }))).toBe(true);
  });

  it.each([
    ['nvidia.com/gpu', true],
    ['hugepages-2Mi', true],
    ['attachable-volumes-aws-ebs', true],
    ['kubernetes.io/batch', true],
    ['requests.nvidia.com/gpu', false],
    ['storage', false],
    ['cpu', false],
  ])('isScalarResourceName(%s) = %s', (name, expected) => {
    expect(isScalarResourceName(name)).toBe(expected);
  });
});

describe('podRequests', () => {
  it('sums the containers and counts one pod slot', () => {
    const pod = podWith({
      containers: [
        container('a', { cpu: '250m', memory: '64Mi' }),
        container('b', { cpu: 1, memory: '1Gi', 'ephemeral-storage': '1Gi' }),
      ],
    });
    expect(podRequests(pod)).toEqual(
      res({ milliCpu: 1250n, memory: 64n * Mi + Gi, ephemeralStorage: Gi, pods: 1 }),
    );
  });

  it('counts missing requests as zero', () => {
    expect(podRequests(makePod('p'))).toEqual(res({ pods: 1 }));
    expect(podRequests(podWith({}))).toEqual(res({ pods: 1 }));
  });

  it('takes the max with each init container', () => {
    const pod = podWith({
      initContainers: [
        container('init1', { cpu: '2', memory: '10Mi' }),
        container('init2', { memory: '3Gi' }),
      ],
      containers: [container('a', { cpu: '500m', memory: '1Gi' })],
    });
    expect(podRequests(pod)).toEqual(res({ milliCpu: 2000n, memory: 3n * Gi, pods: 1 }));
  });

  it('adds restartable (sidecar) init containers to the total and to later init containers', () => {
    const pod = podWith({
      initContainers: [
        container('sidecar', { cpu: '100m', memory: '100Mi' }, { restartPolicy: 'Always' }),
        container('migrate', { cpu: '1', memory: '50Mi' }),
      ],
      containers: [container('a', { cpu: '200m', memory: '200Mi' })],
    });
    // long-running: 200m+100m, 200Mi+100Mi; while "migrate" runs: 1+100m, 50Mi+100Mi
    expect(podRequests(pod)).toEqual(res({ milliCpu: 1100n, memory: 300n * Mi, pods: 1 }));
  });

  it('counts an extended resource limit without a request as its request, as Kubernetes does', () => {
    const pod = podWith({
      containers: [
        container('a', { cpu: '100m' }, {
          resources: {
            requests: { cpu: '100m', 'ephemeral-storage': '1Gi' },
            limits: { cpu: '1', 'example.com/gpu': '1', 'x.io/b': '3' },
          },
        }),
        container('b', undefined, {
          resources: { requests: { 'x.io/b': '1' }, limits: { 'x.io/b': '2', memory: '1Gi' } },
        }),
      ],
    });
    expect(podRequests(pod)).toEqual(
      res({
        milliCpu: 100n,
        ephemeralStorage: Gi,
        pods: 1,
        scalar: { 'example.com/gpu': 1n, 'x.io/b': 4n },
      }),
    );
  });

  it('adds spec.overhead', () => {
    const pod = podWith({
      containers: [container('a', { cpu: '100m' })],
      overhead: { cpu: '250m', memory: '120Mi' },
    });
    expect(podRequests(pod)).toEqual(res({ milliCpu: 350n, memory: 120n * Mi, pods: 1 }));
  });

  it('uses pod-level requests for cpu and memory when set', () => {
    const pod = podWith({
      containers: [container('a', { cpu: '100m', memory: '1Gi', 'nvidia.com/gpu': '1' })],
      resources: { requests: { cpu: '2', 'nvidia.com/gpu': '5' } },
    });
    expect(podRequests(pod)).toEqual(
      res({ milliCpu: 2000n, memory: Gi, pods: 1, scalar: { 'nvidia.com/gpu': 1n } }),
    );
  });

  it('rounds up like MilliValue/Value and ignores invalid, negative and unknown entries', () => {
    const pod = podWith({
      containers: [
        container('a', { cpu: '0.5m', memory: '1.5', 'nvidia.com/gpu': '1', storage: '1Gi' }),
        container('b', { cpu: 'lots', memory: '-1Gi', 'example.com/zero': '0' }),
      ],
    });
    expect(podRequests(pod)).toEqual(
      res({ milliCpu: 1n, memory: 2n, pods: 1, scalar: { 'nvidia.com/gpu': 1n } }),
    );
  });

  it('does not modify the pod', () => {
    const pod = deepFreeze(makePod('p', { cpu: '1', memory: '1Gi' }));
    expect(() => podRequests(pod)).not.toThrow();
  });
});

describe('podNonZeroRequests', () => {
  it('counts missing cpu/memory requests as 100m/200Mi per container, keeps explicit zeros', () => {
    const pod = podWith({
      containers: [container('a'), container('b', { cpu: '0', memory: '1Gi' })],
    });
    expect(podNonZeroRequests(pod)).toEqual({ milliCpu: 100n, memory: 200n * Mi + Gi });
  });
});

describe('nodeAllocatable', () => {
  it('reads status.allocatable', () => {
    const node = makeNode('n', {
      cpu: '3500m',
      memory: '7Gi',
      pods: '20',
      ephemeralStorage: '100Gi',
      extra: { 'nvidia.com/gpu': '2', 'hugepages-2Mi': '64Mi' },
    });
    expect(nodeAllocatable(node)).toEqual({
      milliCpu: 3500n,
      memory: 7n * Gi,
      pods: 20,
      ephemeralStorage: 100n * Gi,
      scalar: { 'nvidia.com/gpu': 2n, 'hugepages-2Mi': 64n * Mi },
    });
  });

  it('falls back to status.capacity and defaults pods to 110', () => {
    const node = makeNode('n', { cpu: '2', memory: '1Gi', capacityOnly: true });
    expect(nodeAllocatable(node)).toEqual(res({ milliCpu: 2000n, memory: Gi, pods: 110 }));
  });

  it('treats a node without status as offering nothing but pod slots', () => {
    expect(nodeAllocatable({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } })).toEqual(
      res({ pods: 110 }),
    );
  });
});
