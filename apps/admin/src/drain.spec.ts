import type { KubeObject } from './api';
import { drainPods, planDrain, type DrainProgress, type EvictionOutcome } from './drain';

const pod = (name: string, extra: Partial<KubeObject['metadata']> = {}, phase = 'Running') =>
  ({
    metadata: { name, namespace: 'ns', ...extra },
    status: { phase },
  }) as KubeObject;

describe('planDrain', () => {
  it('evicts ordinary pods, leaves DaemonSet and mirror pods (saying why), ignores finished ones', () => {
    const plan = planDrain([
      pod('web'),
      pod('agent', { ownerReferences: [{ kind: 'DaemonSet', name: 'agent' }] }),
      pod('static', { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      pod('done', {}, 'Succeeded'),
      pod('going', { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    ]);
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(['web']);
    expect(plan.skipped.map((s) => [s.pod.metadata.name, s.why])).toEqual([
      ['agent', 'managed by a DaemonSet'],
      ['static', 'mirror pod'],
    ]);
  });
});

describe('drainPods', () => {
  const refused: EvictionOutcome = { ok: false, retry: true, message: 'budget says no' };

  it('retries a refused eviction until the budget admits it, reporting who it waits on', async () => {
    // The budget admits b only on the third attempt.
    const attempts: Record<string, number> = {};
    const seen: DrainProgress[] = [];
    const waits: number[] = [];
    const result = await drainPods(
      [pod('a'), pod('b')],
      async (p) => {
        const n = (attempts[p.metadata.name] = (attempts[p.metadata.name] ?? 0) + 1);
        return p.metadata.name === 'b' && n < 3 ? refused : { ok: true };
      },
      {
        retryMs: 5,
        deadlineMs: 60_000,
        onProgress: (p) => seen.push(p),
        wait: async (ms) => void waits.push(ms),
      },
    );
    expect(attempts).toEqual({ a: 1, b: 3 });
    expect(waits).toEqual([5, 5]);
    expect(seen[0].waiting).toEqual([{ pod: 'ns/b', message: 'budget says no' }]);
    expect(result).toEqual({ evicted: ['ns/a', 'ns/b'], waiting: [], total: 2 });
  });

  it('gives up at the deadline naming the pods still refused', async () => {
    let clock = 0;
    await expect(
      drainPods([pod('b')], async () => refused, {
        retryMs: 1_000,
        deadlineMs: 3_000,
        onProgress: () => undefined,
        wait: async (ms) => void (clock += ms),
        now: () => clock,
      }),
    ).rejects.toThrow('gave up after 3s; still waiting on ns/b (budget says no)');
  });

  it('stops on an error that is not a refusal', async () => {
    await expect(
      drainPods(
        [pod('a')],
        async () => {
          throw new Error('forbidden');
        },
        { retryMs: 1, deadlineMs: 10, onProgress: () => undefined },
      ),
    ).rejects.toThrow('forbidden');
  });
});
