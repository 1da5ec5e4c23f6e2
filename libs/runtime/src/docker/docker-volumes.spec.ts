/** The docker runtime's volumes: files made on the host, bind-mounted (fake engine). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PodSpecForRuntime } from '../types';
import { DockerRuntime } from './docker-runtime';
import { FakeDockerEngine } from './testing/fake-docker-engine';

const UID = '3f2b9c1d-0000-4000-8000-0000000000aa';
const quietLog = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

async function waitFor<T>(what: string, fn: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DockerRuntime volumes', () => {
  let dir: string;
  let engine: FakeDockerEngine;
  let rt: DockerRuntime | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-docker-vol-'));
    engine = new FakeDockerEngine(path.join(dir, 'docker.sock'));
    engine.images.add('busybox:latest');
    await engine.listen();
  });
  afterEach(async () => {
    await rt?.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the volumes on the host, bind-mounts them (ro when readOnly), updates and removes them', async () => {
    const volumesDir = path.join(dir, 'volumes');
    rt = new DockerRuntime({
      socketPath: engine.socketPath,
      nodeIP: '127.0.0.1',
      log: quietLog,
      volumesDir,
      resyncIntervalMs: 60_000,
    });
    const spec: PodSpecForRuntime = {
      uid: UID,
      namespace: 'team-a',
      name: 'web-1',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'app',
          image: 'busybox:latest',
          volumeMounts: [
            { name: 'config', mountPath: '/etc/config', readOnly: true },
            { name: 'scratch', mountPath: '/tmp/scratch' },
          ],
        },
      ],
      volumes: [
        {
          name: 'config',
          files: [{ path: 'greeting', content: Buffer.from('hello'), mode: 0o644 }],
        },
        { name: 'scratch', emptyDir: true },
      ],
    };
    await rt.runPod(spec);
    const create = await waitFor(
      'the create',
      () => engine.calls('POST', /^\/containers\/create$/)[0],
    );
    const podDir = path.join(volumesDir, UID, 'volumes');
    expect(create.body.HostConfig.Binds).toEqual([
      `${podDir}/config:/etc/config:ro`,
      `${podDir}/scratch:/tmp/scratch`,
    ]);
    expect(readFileSync(path.join(podDir, 'config', 'greeting'), 'utf8')).toBe('hello');
    // The files are on disk, not in the pod spec label.
    expect(create.body.Labels['berth.dev/pod-spec']).not.toContain('files');

    rt.updateVolumes(UID, [
      { name: 'config', files: [{ path: 'greeting', content: Buffer.from('bye'), mode: 0o644 }] },
    ]);
    expect(readFileSync(path.join(podDir, 'config', 'greeting'), 'utf8')).toBe('bye');
    await rt.stopPod(UID, 0);
    expect(existsSync(path.join(volumesDir, UID))).toBe(false);
  });
});
