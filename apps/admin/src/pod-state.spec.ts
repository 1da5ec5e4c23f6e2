import type { KubeObject } from './api';
import { podState, restartsOf } from './pod-state';

const pod = (status: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name: 'web-1', namespace: 'team-a-dev' },
  spec: { containers: [{ name: 'web', image: 'nginx' }] },
  status,
  ...extra,
});

describe('podState', () => {
  it('says why a pending pod waits: the scheduler condition', () => {
    const s = podState(
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient cpu.',
          },
        ],
      }),
    );
    expect(s).toEqual({
      label: 'Pending: Unschedulable',
      color: 'warning',
      reason: '0/3 nodes are available: 3 Insufficient cpu.',
    });
  });

  it('shows CrashLoopBackOff, with OOMKilled when that was the last exit', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'web',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
        },
      ],
    };
    expect(podState(pod(status))).toMatchObject({
      label: 'CrashLoopBackOff (OOMKilled)',
      color: 'error',
      reason: 'back-off 40s',
    });
    expect(restartsOf(pod(status))).toBe('4');
  });

  it('shows a terminated container by its reason', () => {
    expect(
      podState(
        pod({
          phase: 'Running',
          containerStatuses: [{ name: 'web', state: { terminated: { reason: 'OOMKilled' } } }],
        }),
      ).label,
    ).toBe('OOMKilled');
  });

  it('is Running only when every container is ready; Terminating wins', () => {
    const running = {
      phase: 'Running',
      containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }],
    };
    expect(podState(pod(running))).toEqual({ label: 'Running', color: 'success' });
    expect(
      podState(
        pod({
          ...running,
          containerStatuses: [{ name: 'web', ready: false, state: { running: {} } }],
        }),
      ).label,
    ).toBe('Running (not ready)');
    expect(
      podState(
        pod(running, {
          metadata: { name: 'x', deletionTimestamp: '2026-12-04T00:00:00Z' },
        }),
      ).label,
    ).toBe('Terminating');
  });

  it("follows kubectl's STATUS from @berth/core for the other states", () => {
    const creating = {
      phase: 'Pending',
      containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }],
    };
    expect(podState(pod(creating), new Date())).toEqual({
      label: 'ContainerCreating',
      color: 'warning',
    });
    expect(podState(pod({ phase: 'Succeeded' }))).toEqual({ label: 'Completed', color: 'info' });
    expect(podState(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }))).toEqual(
      { label: 'Evicted', color: 'error', reason: 'low on memory' },
    );
    const lastExit = '2026-12-04T11:57:00Z';
    expect(
      restartsOf(
        pod({
          phase: 'Running',
          containerStatuses: [
            {
              name: 'web',
              restartCount: 2,
              lastState: { terminated: { reason: 'Error', finishedAt: lastExit } },
              state: { running: {} },
            },
          ],
        }),
        new Date('2026-12-04T12:00:00Z'),
      ),
    ).toBe('2 (3m ago)');
  });
});
