import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  container,
  get,
  nodeContainer,
  processRuntimeFixture,
  waitFor,
} from './testing/process-fixture';

jest.setTimeout(20_000);

const asRoot = process.getuid?.() === 0;

/** Answers with what it reads from PATHS and whether it can write to WRITE (JSON). */
const READER = `
const fs = require('fs');
require('http').createServer((q, s) => {
  const read = {};
  for (const p of JSON.parse(process.env.PATHS)) {
    try { read[p] = fs.readFileSync(p, 'utf8'); } catch (e) { read[p] = e.code; }
  }
  const wrote = {};
  for (const p of JSON.parse(process.env.WRITE)) {
    try { fs.writeFileSync(p, 'w'); wrote[p] = fs.readFileSync(p, 'utf8'); } catch (e) { wrote[p] = e.code; }
  }
  s.end(JSON.stringify({ read, wrote, env: process.env }));
}).listen(process.env.PORT);
`;

describe('ProcessRuntime volumes', () => {
  const f = processRuntimeFixture();
  const { make, pod, until } = f;

  it('puts volume files at their mountPath (as root: a mount namespace), read-only ones ro, and updates them in place', async () => {
    const rt = make();
    const mnt = path.join(f.dir, 'mnt');
    const cfg = path.join(mnt, 'etc/config');
    const scratch = path.join(mnt, 'scratch');
    const file = (p: string, content: string) => ({
      path: p,
      content: Buffer.from(content),
      mode: 0o644,
    });
    const p = pod(
      'vols',
      [
        nodeContainer('app', READER, f.marker, {
          ports: [{ containerPort: 8080 }],
          env: [
            { name: 'PATHS', value: JSON.stringify([`${cfg}/greeting`, `${cfg}/sub/deep`]) },
            { name: 'WRITE', value: JSON.stringify([`${scratch}/x`, `${cfg}/nope`]) },
          ],
          volumeMounts: [
            { name: 'config', mountPath: cfg, readOnly: true },
            { name: 'scratch', mountPath: scratch },
          ],
        }),
      ],
      {
        volumes: [
          { name: 'config', files: [file('greeting', 'hello'), file('sub/deep', 'down')] },
          { name: 'scratch', emptyDir: true },
        ],
      },
    );
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => x.phase === 'Running');
    const port = container(s)!.hostPorts![8080];
    const ask = async () =>
      JSON.parse((await waitFor(() => get(port), 8000, 'the server')).body) as {
        read: Record<string, string>;
        wrote: Record<string, string>;
        env: Record<string, string>;
      };
    const first = await ask();
    if (asRoot) {
      expect(first.read).toEqual({ [`${cfg}/greeting`]: 'hello', [`${cfg}/sub/deep`]: 'down' });
      expect(first.wrote).toEqual({ [`${scratch}/x`]: 'w', [`${cfg}/nope`]: 'EROFS' });
      // Mounted in the container's namespace only: the host sees an empty mount point.
      expect(existsSync(`${cfg}/greeting`)).toBe(false);
    } else {
      const dir = first.env.BERTH_VOLUME_CONFIG;
      expect(dir).toBeDefined();
      expect(existsSync(path.join(dir, 'greeting'))).toBe(true);
    }

    rt.updateVolumes(p.uid, [{ name: 'config', files: [file('greeting', 'bye')] }]);
    if (asRoot) {
      const next = await waitFor(async () => {
        const r = await ask();
        if (r.read[`${cfg}/greeting`] !== 'bye') throw new Error(JSON.stringify(r.read));
        return r;
      });
      expect(next.read[`${cfg}/sub/deep`]).toBe('ENOENT');
    }
    await rt.stopPod(p.uid);
  });

  it('reports a mount of a volume the pod does not have as CreateContainerConfigError', async () => {
    const rt = make();
    const p = pod('novol', [
      nodeContainer('app', 'setInterval(()=>{},1000)', f.marker, {
        volumeMounts: [{ name: 'ghost', mountPath: '/ghost' }],
      }),
    ]);
    await rt.runPod(p);
    const s = await until(rt, p.uid, (x) => !!container(x)?.state.waiting);
    expect(container(s)!.state.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'cannot find volume "ghost" to mount into container "app"',
    });
    await rt.stopPod(p.uid);
  });
});
