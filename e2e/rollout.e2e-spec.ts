import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { planRollback } from '@berth/core';
import IORedis from 'ioredis';
import {
  kubectl,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';

function manifest(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: ${image}
`;
}

describe('kubectl rollout with the controllers running', () => {
  let api: ApiProcess;
  let worker: WorkerProcess;
  let work: string;
  const prefix = `berth-e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const k = (...args: string[]) => kubectl(api.kubeconfig, path.join(work, 'cache'), args);

  beforeAll(async () => {
    api = await startApiProcess();
    worker = await startWorkerProcess(api.db.url, prefix, 'rollout-w0');
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-rollout-'));
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps revision history in ReplicaSets and rolls back with kubectl rollout undo', async () => {
    expect(k('create', 'namespace', 'ro').code).toBe(0);
    const file = path.join(work, 'web.yaml');
    writeFileSync(file, manifest('nginx:1.25'));
    expect(k('apply', '-n', 'ro', '-f', file).code).toBe(0);
    await waitFor(
      () =>
        k('get', 'rs', '-n', 'ro', '-l', 'app=web', '-o', 'name')
          .stdout.trim()
          .split('\n')
          .filter(Boolean).length === 1,
      'the first ReplicaSet',
    );
    writeFileSync(file, manifest('nginx:1.26'));
    expect(k('apply', '-n', 'ro', '-f', file).code).toBe(0);
    await waitFor(
      () =>
        k('get', 'rs', '-n', 'ro', '-l', 'app=web', '-o', 'name')
          .stdout.trim()
          .split('\n')
          .filter(Boolean).length === 2,
      'a second ReplicaSet',
    );

    const history = k('rollout', 'history', 'deploy/web', '-n', 'ro');
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^1\s/m);
    expect(history.stdout).toMatch(/^2\s/m);

    // Paused, it is not rolled back: kubectl's refusal, word for word what @berth/core's
    // planRollback (and so the dashboard) says.
    expect(k('rollout', 'pause', 'deploy/web', '-n', 'ro').code).toBe(0);
    const refused = k('rollout', 'undo', 'deploy/web', '-n', 'ro');
    expect(refused.code).not.toBe(0);
    const paused = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    const plan = planRollback({ ...paused, spec: { paused: true } }, []);
    expect(plan.ok).toBe(false);
    expect(refused.stderr).toContain(plan.message);
    expect(k('rollout', 'resume', 'deploy/web', '-n', 'ro').code).toBe(0);

    const undo = k('rollout', 'undo', 'deploy/web', '-n', 'ro');
    expect(undo.stderr).toBe('');
    expect(undo).toMatchObject({ code: 0, stdout: 'deployment.apps/web rolled back\n' });
    expect(
      k(
        'get',
        'deploy',
        'web',
        '-n',
        'ro',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ).stdout,
    ).toBe('nginx:1.25');
    // The old ReplicaSet is the new one again, with the next revision number.
    await waitFor(
      () => /^3\s/m.test(k('rollout', 'history', 'deploy/web', '-n', 'ro').stdout),
      'revision 3 in the rollout history',
    );
  }, 180_000);
});
