import type { KubeObject } from '../api/types';
import { generateJobSelector, jobDefinition } from '../resources/job';
import { decideJob, formatIndexes, JOB_BACKOFF_BASE_MS } from './job';
import { at, pod, T0, ts } from './test-helpers';

function job(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject {
  const j: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'uid-pi', resourceVersion: '5' },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  };
  generateJobSelector(j);
  const out = jobDefinition.applyDefaults(j);
  if (status) out.status = status;
  return out;
}

let n = 0;
const suffix = () => `s${n++}`;
const owned = (j: KubeObject, name: string, phase: string, extra: Record<string, unknown> = {}) => {
  const p = pod({ name, owner: j, phase, ...extra });
  if (phase === 'Failed')
    p.status = {
      ...p.status,
      containerStatuses: [
        { name: 'c', restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: ts(0) } } },
      ],
    };
  return p;
};

describe('decideJob', () => {
  it('runs at most parallelism pods until completions succeed, then is Complete', () => {
    const j = job({ completions: 5, parallelism: 2 }, { startTime: ts(0) });
    let d = decideJob(j, [], T0, { nameSuffix: suffix });
    expect(d.createPods).toHaveLength(2);
    expect(d.createPods[0].metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      uid: 'uid-pi',
    });
    const pods = [owned(j, 'a', 'Succeeded'), owned(j, 'b', 'Succeeded'), owned(j, 'c', 'Running')];
    d = decideJob(j, pods, T0, { nameSuffix: suffix });
    expect(d.createPods).toHaveLength(1);
    expect(d.status).toMatchObject({ active: 1, succeeded: 2 });
    // Only the remaining completion runs: 4 succeeded, none active → one more.
    const four = ['a', 'b', 'c', 'd'].map((x) => owned(j, x, 'Succeeded'));
    expect(decideJob(j, four, T0, { nameSuffix: suffix }).createPods).toHaveLength(1);
    d = decideJob(j, [...four, owned(j, 'e', 'Succeeded')], at(7));
    expect(d.createPods).toHaveLength(0);
    expect(d.status.conditions?.find((c) => c.type === 'Complete')).toMatchObject({
      status: 'True',
      reason: 'CompletionsReached',
    });
    expect(d.status.completionTime).toBe(ts(7));
    expect(d.status.succeeded).toBe(5);
  });

  it('waits 10 s after a failure before replacing the pod, then fails past backoffLimit', () => {
    const j = job({ backoffLimit: 1 }, { startTime: ts(0) });
    const first = [owned(j, 'a', 'Failed')];
    let d = decideJob(j, first, at(3));
    expect(d.createPods).toHaveLength(0);
    expect(d.requeueAfterMs).toBe(JOB_BACKOFF_BASE_MS - 3000);
    d = decideJob(j, first, at(10));
    expect(d.createPods).toHaveLength(1);
    d = decideJob(j, [...first, owned(j, 'b', 'Failed')], at(20));
    expect(d.createPods).toHaveLength(0);
    expect(d.status.failed).toBe(2);
    expect(d.status.conditions?.find((c) => c.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
    });
  });

  it('fails with DeadlineExceeded past activeDeadlineSeconds and deletes running pods', () => {
    const j = job({ activeDeadlineSeconds: 30 }, { startTime: ts(0) });
    const running = [owned(j, 'a', 'Running')];
    expect(decideJob(j, running, at(10)).requeueAfterMs).toBe(20_000);
    const d = decideJob(j, running, at(30));
    expect(d.deletePods.map((p) => p.metadata.name)).toEqual(['a']);
    expect(d.status.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
  });

  it('gives an Indexed Job one pod per index with JOB_COMPLETION_INDEX and the annotation', () => {
    const j = job(
      { completions: 3, parallelism: 3, completionMode: 'Indexed' },
      { startTime: ts(0) },
    );
    const d = decideJob(j, [], T0, { nameSuffix: suffix });
    expect(
      d.createPods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']),
    ).toEqual(['0', '1', '2']);
    const env = (d.createPods[2].spec as { containers: { env: unknown[] }[] }).containers[0].env;
    expect(env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', value: '2' });
    expect(d.createPods[1].metadata.name).toMatch(/^pi-1-/);
    const done = d.createPods[1];
    const d2 = decideJob(j, [{ ...done, status: { phase: 'Succeeded' } }], T0, {
      nameSuffix: suffix,
    });
    expect(d2.status.completedIndexes).toBe('1');
    expect(
      d2.createPods.map(
        (p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'],
      ),
    ).toEqual(['0', '2']);
  });

  it('suspends (deleting active pods) and resumes', () => {
    const j = job({ suspend: true }, { startTime: ts(0) });
    const d = decideJob(j, [owned(j, 'a', 'Running')], T0);
    expect(d.deletePods).toHaveLength(1);
    expect(d.status.conditions?.[0]).toMatchObject({
      type: 'Suspended',
      status: 'True',
      reason: 'JobSuspended',
    });
    const resumed = decideJob(
      { ...j, spec: { ...j.spec, suspend: false }, status: d.status },
      [],
      at(5),
    );
    expect(resumed.createPods).toHaveLength(1);
    expect(resumed.status.conditions?.[0]).toMatchObject({ type: 'Suspended', status: 'False' });
  });

  it('applies podFailurePolicy: Ignore does not count, FailJob fails at once', () => {
    const rules = (action: string) => ({
      podFailurePolicy: { rules: [{ action, onExitCodes: { operator: 'In', values: [1] } }] },
      backoffLimit: 0,
    });
    const ignore = job(rules('Ignore'), { startTime: ts(0) });
    const d = decideJob(ignore, [owned(ignore, 'a', 'Failed')], at(1));
    expect(d.status.failed).toBe(0);
    expect(d.createPods).toHaveLength(1);
    const failJob = job({ ...rules('FailJob'), backoffLimit: 6 }, { startTime: ts(0) });
    const f = decideJob(failJob, [owned(failJob, 'a', 'Failed')], at(1));
    expect(f.status.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
  });

  it('deletes a finished Job once ttlSecondsAfterFinished has passed', () => {
    const status = {
      completionTime: ts(0),
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: ts(0) }],
    };
    const j = job({ ttlSecondsAfterFinished: 60 }, status);
    expect(decideJob(j, [], at(20))).toMatchObject({ deleteJob: false, requeueAfterMs: 40_000 });
    expect(decideJob(j, [], at(60)).deleteJob).toBe(true);
  });

  it('formats completed indexes as ranges', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
  });
});

describe('Job validation', () => {
  const base = (spec: Record<string, unknown>) => job(spec);
  const fields = (o: KubeObject) => jobDefinition.validate(o).map((c) => c.field);
  it('accepts a defaulted Job', () => {
    expect(jobDefinition.validate(base({ completions: 2 }))).toEqual([]);
  });
  it('names spec.parallelism when negative', () => {
    expect(fields(base({ parallelism: -1 }))).toContain('spec.parallelism');
  });
  it('names the template labels when a manual selector does not match them', () => {
    const j = base({ manualSelector: true, selector: { matchLabels: { app: 'x' } } });
    expect(fields(j)).toContain('spec.template.metadata.labels');
  });
  it('requires restartPolicy Never or OnFailure', () => {
    const j = job();
    (j.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy =
      'Always';
    expect(fields(j)).toContain('spec.template.spec.restartPolicy');
  });
});
