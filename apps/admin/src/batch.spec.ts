import { jobDefinition } from '@berth/core/resources/job';
import type { KubeObject } from './api';
import {
  daemonNodeRows,
  exitCodes,
  formatInZone,
  jobFromCronJob,
  jobState,
  manualJobName,
  nextRun,
  tableCells,
} from './batch';

const job = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'j', namespace: 'ns' },
  spec,
  status,
});

describe('Job status and cells', () => {
  it('says Complete, Failed (with the reason), Suspended or Running', () => {
    expect(jobState(job({ conditions: [{ type: 'Complete', status: 'True' }] }))).toEqual({
      label: 'Complete',
      color: 'success',
      reason: undefined,
    });
    const failed = jobState(
      job({
        conditions: [
          { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      }),
    );
    expect(failed).toMatchObject({
      label: 'Failed',
      color: 'error',
      reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
    expect(
      jobState(
        job({ conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] }),
      ),
    ).toMatchObject({ label: 'Suspended', reason: 'JobSuspended' });
    expect(jobState(job({ conditions: [{ type: 'Complete', status: 'False' }] })).label).toBe(
      'Running',
    );
  });

  it("reads kubectl's Completions and Duration from core's table row", () => {
    const cells = tableCells(
      jobDefinition,
      job(
        {
          succeeded: 3,
          startTime: '2026-01-01T00:00:00Z',
          completionTime: '2026-01-01T00:01:05Z',
        },
        { completions: 5 },
      ),
    );
    expect(cells).toMatchObject({ Completions: '3/5', Duration: '65s' });
  });

  it("gives a pod's exit code, per container when there are several", () => {
    const one = {
      metadata: { name: 'p' },
      status: { containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 3 } } }] },
    };
    expect(exitCodes(one)).toBe('3');
    const two = {
      metadata: { name: 'p' },
      status: {
        containerStatuses: [
          { name: 'a', state: { terminated: { exitCode: 0 } } },
          { name: 'b', state: { running: {} }, lastState: { terminated: { exitCode: 137 } } },
        ],
      },
    };
    expect(exitCodes(two)).toBe('a: 0, b: 137');
    expect(exitCodes({ metadata: { name: 'p' }, status: {} })).toBe('—');
  });
});

describe('CronJobs', () => {
  const cj: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'ns', uid: 'cj-uid' },
    spec: {
      schedule: '30 4 * * *',
      timeZone: 'Asia/Kolkata',
      jobTemplate: {
        metadata: { labels: { app: 'n' }, annotations: { note: 'x' } },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    },
  };

  it('computes the next run in the CronJob time zone and shows it in any zone', () => {
    // 04:30 in Kolkata (UTC+05:30) is 23:00 UTC the day before.
    const { at } = nextRun(cj, new Date('2026-03-10T12:00:00Z'));
    expect(at?.toISOString()).toBe('2026-03-10T23:00:00.000Z');
    expect(formatInZone(at!, 'Asia/Kolkata')).toBe('2026-03-11 04:30');
    expect(formatInZone(at!, 'Asia/Tokyo')).toBe('2026-03-11 08:00');
    expect(nextRun({ ...cj, spec: { schedule: 'every minute' } }).error).toBeTruthy();
  });

  it('makes the Job kubectl create job --from=cronjob makes', () => {
    const made = jobFromCronJob(cj, 'nightly-manual-abcde');
    expect(made).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'nightly-manual-abcde',
        namespace: 'ns',
        labels: { app: 'n' },
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', note: 'x' },
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj-uid' },
        ],
      },
      spec: cj.spec!.jobTemplate.spec,
    });
    expect(made.spec).not.toBe(cj.spec!.jobTemplate.spec);
  });

  it('names manual Jobs <cronjob>-manual-<suffix>, within 63 characters', () => {
    expect(manualJobName('nightly', 'x7k2p')).toBe('nightly-manual-x7k2p');
    expect(manualJobName('nightly')).toMatch(/^nightly-manual-[a-z0-9]{5}$/);
    // 50 characters are kept of the name: `a`×49 and a dash, which goes.
    const long = manualJobName(`${'a'.repeat(49)}-${'b'.repeat(20)}`, 'x7k2p');
    expect(long).toBe(`${'a'.repeat(49)}-manual-x7k2p`);
    expect(long.length).toBeLessThanOrEqual(63);
  });
});

describe('DaemonSet per node', () => {
  const ds: KubeObject = {
    metadata: { name: 'agentd', namespace: 'ns', uid: 'ds-uid' },
    spec: {
      selector: { matchLabels: { app: 'agentd' } },
      template: {
        metadata: { labels: { app: 'agentd' } },
        spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'i' }] },
      },
    },
  };
  const node = (name: string, labels: Record<string, string>, taints: unknown[] = []) => ({
    metadata: { name, labels },
    spec: { taints },
  });
  const pod = (name: string, nodeName: string): KubeObject => ({
    metadata: { name, ownerReferences: [{ kind: 'DaemonSet', name: 'agentd', uid: 'ds-uid' }] },
    spec: { nodeName },
  });

  it('says which nodes should run the pod, which pod each has, and why not', () => {
    const rows = daemonNodeRows(
      ds,
      [
        node('n2', { disk: 'hdd' }),
        node('n1', { disk: 'ssd' }),
        node('n3', { disk: 'ssd' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]),
        node('n10', { disk: 'ssd' }, [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
        ]),
      ],
      [
        pod('agentd-a', 'n1'),
        pod('agentd-b', 'hidden'),
        { metadata: { name: 'other', ownerReferences: [] }, spec: { nodeName: 'n2' } },
      ],
    );
    expect(
      rows.map((r) => [r.node, r.shouldRun, r.why, r.pods.map((p) => p.metadata.name)]),
    ).toEqual([
      ['hidden', true, undefined, ['agentd-b']],
      ['n1', true, undefined, ['agentd-a']],
      ['n2', false, 'node labels do not match the node selector disk=ssd', []],
      ['n3', false, 'taint dedicated=gpu:NoSchedule not tolerated', []],
      // Daemon pods tolerate not-ready nodes.
      ['n10', true, undefined, []],
    ]);
    expect(rows.find((r) => r.node === 'hidden')?.known).toBe(false);
  });
});
