import type { PodStatusReport } from '@berth/runtime';
import { desiredPodStatus, type ApiPod } from './pod-status';

const pod: ApiPod = {
  metadata: { name: 'web-1', namespace: 'a', uid: 'u1', resourceVersion: '5' },
  spec: {
    nodeName: 'n1',
    containers: [
      {
        name: 'app',
        image: 'node:20',
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 9090, protocol: 'TCP' },
        ],
      },
    ],
  },
};

const report = (hostPorts?: Record<number, number>): PodStatusReport => ({
  uid: 'u1',
  namespace: 'a',
  name: 'web-1',
  phase: 'Running',
  startTime: '2026-01-01T00:00:00.000Z',
  podIP: '10.1.2.3',
  containerStatuses: [
    {
      name: 'app',
      image: 'node:20',
      state: { running: { startedAt: '2026-01-01T00:00:01.000Z' } },
      lastState: {},
      ready: true,
      started: true,
      restartCount: 0,
      ...(hostPorts ? { hostPorts } : {}),
    },
  ],
});

describe('desiredPodStatus', () => {
  const now = new Date('2026-01-01T00:00:02.000Z');

  it('publishes the node ports of the container ports, with their names, sorted by container port', () => {
    const status = desiredPodStatus(pod, report({ 9090: 40002, 8080: 40001 }), '10.1.2.3', now);
    expect(status?.containerStatuses?.[0].hostPorts).toEqual([
      { containerPort: 8080, hostPort: 40001, name: 'http', protocol: 'TCP' },
      { containerPort: 9090, hostPort: 40002, protocol: 'TCP' },
    ]);
    expect(status?.podIP).toBe('10.1.2.3');
  });

  it('writes no hostPorts for runtimes that map none, and nothing at all when the status is already right', () => {
    const status = desiredPodStatus(pod, report(), '10.1.2.3', now)!;
    expect(status.containerStatuses?.[0]).not.toHaveProperty('hostPorts');
    expect(status.phase).toBe('Running');
    expect(
      desiredPodStatus({ ...pod, status }, report(), '10.1.2.3', new Date(now.getTime() + 5000)),
    ).toBeUndefined();
  });
});
