import { cronJobDefinition } from './cron-job';

describe('CronJob table row', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const cj = (suspend?: boolean) => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { schedule: '* * * * *', ...(suspend === undefined ? {} : { suspend }), jobTemplate: {} },
  });

  it('prints SUSPEND as Kubernetes does: True, False, or <unset>', () => {
    expect(cronJobDefinition.table.row(cj(true), now)[3]).toBe('True');
    expect(cronJobDefinition.table.row(cj(false), now)[3]).toBe('False');
    expect(cronJobDefinition.table.row(cj(), now)[3]).toBe('<unset>');
  });
});
