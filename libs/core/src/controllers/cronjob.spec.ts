import type { KubeObject } from '../api/types';
import { cronJobDefinition } from '../resources/cron-job';
import { decideCronJob, MAX_MISSED_TIMES } from './cronjob';

const T = (s: string) => new Date(s);

function cronJob(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  const cj = cronJobDefinition.applyDefaults({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: 'c',
      namespace: 'd',
      uid: 'uid-c',
      creationTimestamp: '2024-01-01T00:00:00Z',
    },
    spec: {
      jobTemplate: {
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'b' }] } },
        },
      },
      ...spec,
    },
  });
  cj.status = status;
  return cj;
}

describe('decideCronJob', () => {
  it('creates the Job for the most recent time and requeues for the next', () => {
    const d = decideCronJob(
      cronJob({ schedule: '*/5 * * * *' }, { lastScheduleTime: '2024-01-01T00:00:00Z' }),
      [],
      T('2024-01-01T00:07:30Z'),
    );
    expect(d.createJob?.metadata.name).toBe(`c-${Date.parse('2024-01-01T00:05:00Z') / 60000}`);
    expect(d.status.lastScheduleTime).toBe('2024-01-01T00:05:00Z');
    expect(d.requeueAfterMs).toBe(150_100);
  });

  it('follows the time zone across a year of daily runs, DST included', () => {
    let cj = cronJob({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' });
    let now = T('2024-01-01T00:00:00Z');
    const hours = new Set<number>();
    for (let day = 0; day < 366; day++) {
      const d = decideCronJob(cj, [], now);
      if (d.createJob) {
        hours.add(new Date(d.status.lastScheduleTime!).getUTCHours());
        cj = { ...cj, status: d.status };
      }
      now = new Date(now.getTime() + d.requeueAfterMs!);
    }
    expect([...hours].sort()).toEqual([7, 8]);
  });

  it('catches up at most once within startingDeadlineSeconds, and warns past 100 misses', () => {
    const cj = cronJob({ schedule: '* * * * *' }, { lastScheduleTime: '2024-01-01T00:00:00Z' });
    const d = decideCronJob(cj, [], T('2024-01-01T05:00:30Z'));
    expect(
      d.createJob?.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
    ).toBe('2024-01-01T05:00:00Z');
    expect(d.events.map((e) => e.reason)).toContain('TooManyMissedTimes');
    expect(MAX_MISSED_TIMES).toBe(100);
    const late = cronJob(
      { schedule: '0 * * * *', startingDeadlineSeconds: 60 },
      { lastScheduleTime: '2024-01-01T00:00:00Z' },
    );
    expect(decideCronJob(late, [], T('2024-01-01T05:30:00Z')).createJob).toBeUndefined();
  });

  it('skips while a Job runs under Forbid, replaces it under Replace', () => {
    const running: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'j',
        namespace: 'd',
        uid: 'j1',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'c', uid: 'uid-c', controller: true },
        ],
      },
      status: {},
    };
    const status = { lastScheduleTime: '2024-01-01T00:00:00Z' };
    const now = T('2024-01-01T00:01:10Z');
    expect(
      decideCronJob(
        cronJob({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' }, status),
        [running],
        now,
      ).createJob,
    ).toBeUndefined();
    const r = decideCronJob(
      cronJob({ schedule: '* * * * *', concurrencyPolicy: 'Replace' }, status),
      [running],
      now,
    );
    expect(r.deleteJobs.map((j) => j.metadata.name)).toEqual(['j']);
    expect(r.createJob).toBeDefined();
  });
});

describe('CronJob validation', () => {
  const fields = (spec: Record<string, unknown>) =>
    cronJobDefinition.validate(cronJob(spec)).map((c) => c.field);
  it('names spec.schedule for an invalid cron and spec.timeZone for an unknown zone', () => {
    expect(fields({ schedule: '61 * * * *' })).toEqual(['spec.schedule']);
    expect(fields({ schedule: '@hourly', timeZone: 'Mars/Olympus' })).toEqual(['spec.timeZone']);
    expect(fields({ schedule: '@hourly', timeZone: 'America/New_York' })).toEqual([]);
  });
});
