/**
 * CronJobs (batch/v1) make Jobs on schedule with real processes: the built API server, a
 * worker, a node agent with the `process` runtime and the real kubectl.
 */
import { startCluster, type Cluster } from './support/cluster';
import { waitFor, type JsonBody } from './support/processes';

jest.setTimeout(300_000);

const NS = 'crons';

describe('CronJobs with real processes and the real kubectl', () => {
  let cluster: Cluster;
  const k = (...args: string[]) => cluster.k(...args);
  const call = (method: string, url: string, body?: unknown) => cluster.call(method, url, body);
  const kubectlAsync = (...args: string[]) => cluster.kAsync(...args);
  const apply = (yaml: string) => cluster.apply(yaml, '-n', NS);

  function cronYaml(name: string, spec: string, script: string): string {
    return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
${spec}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
            - name: main
              image: busybox:1.36
              command: ["/bin/sh", "-c", ${JSON.stringify(`: ${cluster.marker}; ${script}`)}]
`;
  }

  const getCronJob = (name: string) =>
    call('GET', `/apis/batch/v1/namespaces/${NS}/cronjobs/${name}`);

  /** The Jobs a CronJob owns (by controller ownerReference). */
  const jobsOf = async (cronjob: string) =>
    ((await call('GET', `/apis/batch/v1/namespaces/${NS}/jobs`)).items as JsonBody[]).filter((j) =>
      (j.metadata.ownerReferences ?? []).some(
        (r: JsonBody) => r.kind === 'CronJob' && r.name === cronjob && r.controller === true,
      ),
    );

  beforeAll(async () => {
    cluster = await startCluster({ name: 'cron', namespaces: [NS], nodes: ['cron-node-a'] });
    // Made first so that its minute boundaries pass while the tests before it run.
    const slow = apply(
      cronYaml('slow', "  schedule: '* * * * *'\n  concurrencyPolicy: Forbid", 'sleep 100'),
    );
    if (slow.code !== 0) throw new Error(`apply slow: ${slow.stderr}`);
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('kubectl create cronjob (protobuf) makes a Job within 70 s whose pod succeeds', async () => {
    const created = k(
      'create',
      'cronjob',
      'tick',
      '-n',
      NS,
      '--image=busybox:1.36',
      '--schedule=* * * * *',
      '--',
      '/bin/sh',
      '-c',
      `: ${cluster.marker}; echo tick`,
    );
    expect(created).toMatchObject({ code: 0, stdout: 'cronjob.batch/tick created\n' });
    let job: JsonBody | undefined;
    await waitFor(
      async () => {
        job = (await jobsOf('tick'))[0];
        return job !== undefined;
      },
      'a Job of cronjob/tick',
      70_000,
      250,
    );
    const jobName = job!.metadata.name as string;
    expect((await getCronJob('tick')).status.lastScheduleTime).toEqual(expect.any(String));

    const waited = await kubectlAsync(
      'wait',
      '-n',
      NS,
      '--for=condition=complete',
      `job/${jobName}`,
      '--timeout=120s',
    );
    expect(waited).toMatchObject({ code: 0, out: `job.batch/${jobName} condition met\n` });
    expect(k('logs', '-n', NS, `job/${jobName}`).stdout).toBe('tick\n');
    await waitFor(
      async () => typeof (await getCronJob('tick')).status?.lastSuccessfulTime === 'string',
      'cronjob/tick status.lastSuccessfulTime',
      60_000,
      250,
    );

    const table = k('get', 'cronjobs', '-n', NS).stdout.split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'SCHEDULE',
      'TIMEZONE',
      'SUSPEND',
      'ACTIVE',
      'LAST SCHEDULE',
      'AGE',
    ]);
    expect(table).toContainEqual(
      expect.stringMatching(
        /^tick\s+\* \* \* \* \*\s+<none>\s+False\s+[01]\s+\d+(s|m\d*s?)\s+\d+(s|m\d*s?)$/,
      ),
    );
  });

  it('concurrencyPolicy Forbid makes no second Job while the first is active', async () => {
    let first: JsonBody | undefined;
    await waitFor(
      async () => {
        first = (await jobsOf('slow'))[0];
        return first !== undefined;
      },
      'a Job of cronjob/slow',
      70_000,
      250,
    );
    const scheduled = Date.parse((await getCronJob('slow')).status.lastScheduleTime);
    expect(Number.isNaN(scheduled)).toBe(false);
    // Nothing is written when a time is skipped (as in Kubernetes): wait for the wall clock
    // to pass the next schedule time plus 15 s, a condition with a deadline.
    const past = scheduled + 75_000;
    await waitFor(() => Date.now() > past, 'the next schedule time + 15 s', 90_000, 250);
    const jobs = await jobsOf('slow');
    expect(jobs.map((j) => j.metadata.name)).toEqual([first!.metadata.name]);
    const cj = await getCronJob('slow');
    expect(cj.status.active).toEqual([
      expect.objectContaining({ name: first!.metadata.name, uid: first!.metadata.uid }),
    ]);
    expect(Date.parse(cj.status.lastScheduleTime)).toBe(scheduled);
    expect(k('delete', 'cronjob', 'slow', '-n', NS).code).toBe(0);
  });

  it('kubectl create job --from=cronjob/tick makes a Job from its template', async () => {
    const created = k('create', 'job', 'manual', '-n', NS, '--from=cronjob/tick');
    expect(created).toMatchObject({ code: 0, stdout: 'job.batch/manual created\n' });
    const job = await call('GET', `/apis/batch/v1/namespaces/${NS}/jobs/manual`);
    expect(job.metadata.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
    });
    expect(job.metadata.ownerReferences).toContainEqual(
      expect.objectContaining({ kind: 'CronJob', name: 'tick' }),
    );
    expect(job.spec.template.spec.containers[0].command).toEqual([
      '/bin/sh',
      '-c',
      `: ${cluster.marker}; echo tick`,
    ]);
    const waited = await kubectlAsync(
      'wait',
      '-n',
      NS,
      '--for=condition=complete',
      'job/manual',
      '--timeout=120s',
    );
    expect(waited.code).toBe(0);
    expect(k('logs', '-n', NS, 'job/manual').stdout).toBe('tick\n');
  });

  it('refuses a bad schedule or time zone with a Status naming the field', () => {
    const badSchedule = apply(cronYaml('bad-schedule', "  schedule: 'every minute'", 'true'));
    expect(badSchedule.code).not.toBe(0);
    expect(badSchedule.stderr).toMatch(/spec\.schedule: Invalid value: "every minute"/);
    const badZone = apply(
      cronYaml('bad-zone', "  schedule: '* * * * *'\n  timeZone: Mars/Olympus", 'true'),
    );
    expect(badZone.code).not.toBe(0);
    expect(badZone.stderr).toMatch(/spec\.timeZone: Invalid value: "Mars\/Olympus"/);
    for (const name of ['bad-schedule', 'bad-zone']) {
      const got = k('get', 'cronjob', name, '-n', NS);
      expect(got.code).not.toBe(0);
      expect(got.stderr).toMatch(/NotFound/);
    }
  });
});
