/**
 * Jobs (batch/v1) run to completion with real processes: the built API server, a worker,
 * two node agents with the `process` runtime and the real kubectl.
 */
import { startCluster, type Cluster } from './support/cluster';
import { waitFor, type JsonBody } from './support/processes';

jest.setTimeout(300_000);

const NS = 'jobs';

describe('Jobs with real processes and the real kubectl', () => {
  let cluster: Cluster;
  const k = (...args: string[]) => cluster.k(...args);
  const call = (method: string, url: string, body?: unknown) => cluster.call(method, url, body);
  const kubectlAsync = (...args: string[]) => cluster.kAsync(...args);
  const apply = (yaml: string) => cluster.apply(yaml, '-n', NS);

  function jobYaml(name: string, spec: string, script: string, restartPolicy = 'Never'): string {
    return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    spec:
      restartPolicy: ${restartPolicy}
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox:1.36
          command: ["/bin/sh", "-c", ${JSON.stringify(`: ${cluster.marker}; ${script}`)}]
`;
  }

  const podsOf = async (job: string) =>
    (
      await call(
        'GET',
        `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${job}`)}`,
      )
    ).items as JsonBody[];

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'jobs',
      namespaces: [NS],
      nodes: ['job-node-a', 'job-node-b'],
    });
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('runs completions: 5 with parallelism: 2 to 5 succeeded pods, never more than 2 at once', async () => {
    const created = apply(
      jobYaml('five', '  completions: 5\n  parallelism: 2', 'sleep 1; echo done'),
    );
    expect(created).toMatchObject({ code: 0, stdout: 'job.batch/five created\n' });
    const waiting = kubectlAsync(
      'wait',
      '-n',
      NS,
      '--for=condition=complete',
      'job/five',
      '--timeout=180s',
    );
    let maxRunning = 0;
    let done = false;
    void waiting.then(() => (done = true));
    await waitFor(
      async () => {
        const pods = await podsOf('five');
        const running = pods.filter(
          (p) =>
            !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp,
        ).length;
        maxRunning = Math.max(maxRunning, running);
        return done;
      },
      'kubectl wait --for=condition=complete job/five',
      200_000,
      150,
    );
    const result = await waiting;
    expect(result).toMatchObject({ code: 0, out: 'job.batch/five condition met\n' });
    const job = await call('GET', `/apis/batch/v1/namespaces/${NS}/jobs/five`);
    expect(job.status).toMatchObject({ succeeded: 5, active: 0 });
    expect(job.status.completionTime).toEqual(expect.any(String));
    const pods = await podsOf('five');
    expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(5);
    expect(maxRunning).toBeGreaterThan(0);
    expect(maxRunning).toBeLessThanOrEqual(2);
    // The pods stay for their logs.
    expect(k('logs', '-n', NS, 'job/five').stdout).toBe('done\n');
    expect(k('get', 'jobs', '-n', NS).stdout).toMatch(/^five\s+Complete\s+5\/5\s+\d+s\s+\d+s$/m);
  });

  it('stops a failing Job at backoffLimit with Failed/BackoffLimitExceeded', async () => {
    apply(jobYaml('failing', '  backoffLimit: 1', 'exit 3'));
    const waited = await kubectlAsync(
      'wait',
      '-n',
      NS,
      '--for=condition=failed',
      'job/failing',
      '--timeout=120s',
    );
    expect(waited).toMatchObject({ code: 0 });
    const job = await call('GET', `/apis/batch/v1/namespaces/${NS}/jobs/failing`);
    expect(job.status.failed).toBe(2);
    expect(job.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }),
    );
    expect(await podsOf('failing')).toHaveLength(2);
    const events = k('get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=failing');
    expect(events.stdout).toMatch(/BackoffLimitExceeded/);
  });

  it('gives each pod of an Indexed Job its own index, which it prints', async () => {
    apply(
      jobYaml(
        'indexed',
        '  completions: 3\n  parallelism: 3\n  completionMode: Indexed',
        'echo "index=$JOB_COMPLETION_INDEX"',
      ),
    );
    const waited = await kubectlAsync(
      'wait',
      '-n',
      NS,
      '--for=condition=complete',
      'job/indexed',
      '--timeout=120s',
    );
    expect(waited.code).toBe(0);
    const pods = await podsOf('indexed');
    const seen = pods.map((p) => {
      const index = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
      expect(k('logs', '-n', NS, p.metadata.name).stdout).toBe(`index=${index}\n`);
      return index;
    });
    expect(seen.sort()).toEqual(['0', '1', '2']);
    const job = await call('GET', `/apis/batch/v1/namespaces/${NS}/jobs/indexed`);
    expect(job.status.completedIndexes).toBe('0-2');
  });

  it('kubectl create job (protobuf) runs one pod', async () => {
    const created = k(
      'create',
      'job',
      'hello',
      '-n',
      NS,
      '--image=busybox:1.36',
      '--',
      '/bin/sh',
      '-c',
      `: ${cluster.marker}; echo hello`,
    );
    expect(created).toMatchObject({ code: 0, stdout: 'job.batch/hello created\n' });
    expect(
      (
        await kubectlAsync(
          'wait',
          '-n',
          NS,
          '--for=condition=complete',
          'job/hello',
          '--timeout=120s',
        )
      ).code,
    ).toBe(0);
    expect(k('logs', '-n', NS, 'job/hello').stdout).toBe('hello\n');
  });

  it('answers bad input with a Status naming the field', () => {
    const negative = apply(jobYaml('neg', '  parallelism: -1', 'true'));
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toMatch(/spec\.parallelism: Invalid value: -1/);
    const mismatch = apply(`apiVersion: batch/v1
kind: Job
metadata:
  name: mismatch
spec:
  manualSelector: true
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: db
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
`);
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toMatch(/spec\.template\.metadata\.labels: Invalid value/);
  });

  it('deletes its pods when deleted (kubectl delete cascades in the background)', async () => {
    expect(k('delete', 'job', 'five', '-n', NS).code).toBe(0);
    await waitFor(
      async () => (await podsOf('five')).length === 0,
      'pods of job/five deleted',
      60_000,
    );
  });
});
