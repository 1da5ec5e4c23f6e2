import type { ContainerState } from '../types';
import {
  goDuration,
  nextBackoff,
  RestartManager,
  retryBackoff,
  shouldRestart,
  type RestartableContainer,
} from './restart-manager';

const cfg = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

describe('restart manager', () => {
  it.each([
    ['Always', 0, false, true],
    ['Always', 1, false, true],
    ['OnFailure', 0, false, false],
    ['OnFailure', 2, false, true],
    ['OnFailure', 0, true, true],
    ['Never', 1, false, false],
    ['Never', 0, true, false],
  ] as const)('%s, exit %i, killed by a probe: %s → restart %s', (policy, code, probe, want) => {
    expect(shouldRestart(policy, code, probe)).toBe(want);
  });

  it("follows kubelet's back-off: at once, 10 s, doubling to 5 min, reset after 10 min running", () => {
    const delays: number[] = [];
    let backoffMs = 0;
    for (let i = 0; i < 8; i++) {
      const next = nextBackoff(cfg, backoffMs, 1000);
      delays.push(next.delayMs);
      backoffMs = next.backoffMs;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(nextBackoff(cfg, backoffMs, 600_000)).toEqual({ delayMs: 0, backoffMs: 10_000 });
    expect(retryBackoff(cfg, 0)).toEqual({ delayMs: 10_000, backoffMs: 20_000 });
  });

  it('records an exit: ContainerCreating for an immediate restart, then CrashLoopBackOff', () => {
    const rm = new RestartManager({ initialBackoffMs: 200 });
    const pod = { name: 'web', namespace: 'ns', uid: 'u1', restartPolicy: 'Always' as const };
    const c: RestartableContainer = {
      state: { running: { startedAt: 'x' } },
      lastState: {},
      ready: true,
      started: true,
      restartCount: 0,
      backoffMs: 0,
    };
    const terminated = { exitCode: 1, reason: 'Error', finishedAt: 'y' };
    expect(rm.exited(pod, 'app', c, { terminated, ranMs: 5 })).toEqual({
      restart: true,
      delayMs: 0,
    });
    expect(c).toMatchObject({
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: { terminated },
      ready: false,
      started: false,
      restartCount: 1,
    });
    expect(rm.exited(pod, 'app', c, { terminated, ranMs: 5 })).toEqual({
      restart: true,
      delayMs: 200,
    });
    expect(c.state.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'back-off 200ms restarting failed container=app pod=web_ns(u1)',
    });
    const done = { exitCode: 0, reason: 'Completed', finishedAt: 'z' };
    expect(
      rm.exited({ ...pod, restartPolicy: 'OnFailure' }, 'app', c, { terminated: done, ranMs: 5 }),
    ).toEqual({ restart: false });
    expect(c.state).toEqual<ContainerState>({ terminated: done });
    expect(c.restartCount).toBe(2);
  });

  it.each([
    [200, '200ms'],
    [1600, '1.6s'],
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
  ])('prints %i ms as Go does: %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});
