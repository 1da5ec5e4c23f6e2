/**
 * ConfigMaps, Secrets and the downward API inside real pods: the built API server, a worker,
 * two node agents with the `process` runtime (as root: each container in a mount namespace
 * of its own, its volumes bind-mounted at their mountPath) and the real kubectl. A
 * Deployment of two small HTTP servers answers with what its container sees — environment
 * variables from a ConfigMap, a Secret, fieldRefs and a resourceFieldRef, and files read at
 * request time from a configMap and a secret volume at absolute paths that do not exist on
 * the host. A changed ConfigMap and Secret reach the files (measured) but not the
 * environment, as with the kubelet; a pod waiting for a missing ConfigMap says so and
 * starts once it is created.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { startCluster, type Cluster } from './support/cluster';
import { waitFor } from './support/processes';

jest.setTimeout(360_000);

const NS = 'cfgpods';
/** Mount points under /etc that nothing on the host has (created empty by the runtime). */
const BASE = `/etc/berth-e2e-cfg-${randomBytes(4).toString('hex')}`;
const CONF = `${BASE}/app/app.conf`;
const TOKEN = `${BASE}/secret/token.txt`;
const OPT_DIR = `${BASE}/optional`;

/**
 * The workload: on GET / it answers, as JSON, its `X_*` environment variables, the files
 * `READ_FILES` names (content and mode, read now) and the entries of the `LIST_DIRS`.
 */
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const list = (v) => (process.env[v] || '').split(',').filter(Boolean);
const read = (f) => {
  try {
    return { content: fs.readFileSync(f, 'utf8'), mode: (fs.statSync(f).mode & 0o777).toString(8) };
  } catch (e) {
    return { error: e.code };
  }
};
const entries = (d) => {
  try {
    return fs.readdirSync(d).filter((n) => !n.startsWith('..'));
  } catch (e) {
    return e.code;
  }
};
http
  .createServer((req, res) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('X_')));
    const files = Object.fromEntries(list('READ_FILES').map((f) => [f, read(f)]));
    const dirs = Object.fromEntries(list('LIST_DIRS').map((d) => [d, entries(d)]));
    res.setHeader('Connection', 'close');
    res.end(JSON.stringify({ env, files, dirs }));
  })
  .listen(Number(process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{
      restartCount: number;
      hostPorts?: Array<{ hostPort: number }>;
      state?: { waiting?: { reason?: string; message?: string } };
    }>;
  };
}

interface Seen {
  env: Record<string, string>;
  files: Record<string, { content?: string; mode?: string; error?: string }>;
  dirs: Record<string, string[] | string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function fetchSeen(pod: Pod): Promise<Seen> {
  const port = pod.status?.containerStatuses?.[0]?.hostPorts?.[0]?.hostPort;
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Seen);
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** The container's part of the manifests (YAML flow style: JSON). */
function container(env: object[], mounts: object[], files: string[], dirs: string[] = []) {
  return JSON.stringify({
    name: 'main',
    image: 'node:20',
    command: [process.execPath, '-e', SERVER],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
    resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '96Mi' } },
    env: [
      ...env,
      { name: 'READ_FILES', value: files.join(',') },
      { name: 'LIST_DIRS', value: dirs.join(',') },
    ],
    volumeMounts: mounts,
  });
}

const configMap = (greeting: string, conf: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  greeting: ${greeting}
  app.conf: |
    ${conf}
    listen=8080
`;

describe('ConfigMaps, Secrets and the downward API in process-runtime pods (two agents, kubectl)', () => {
  let c: Cluster;
  const envOf = (pods: Pod[]) => Promise.all(pods.map(fetchSeen));
  const podsOf = async (selector: string): Promise<Pod[]> =>
    (
      (await c.call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${selector}`))
        .items as Pod[]
    ).filter((p) => !p.metadata.deletionTimestamp);
  const ready = (p: Pod) =>
    p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true;
  const readyPods = async (selector: string, n: number, what: string) => {
    let found: Pod[] = [];
    await waitFor(
      async () => {
        found = await podsOf(selector);
        return found.length === n && found.every(ready);
      },
      what,
      90_000,
      250,
    );
    return found;
  };
  let web: Pod[];

  beforeAll(async () => {
    c = await startCluster({ name: 'cfgpods', nodes: ['node-a', 'node-b'], namespaces: [NS] });
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
    // The runtime made the mount points as empty directories on the host.
    rmSync(BASE, { recursive: true, force: true });
  });

  it('kubectl apply of a ConfigMap, a Secret and a Deployment: each pod serves the values from env, fieldRefs and mounted files', async () => {
    const env = [
      {
        name: 'X_GREETING',
        valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } },
      },
      { name: 'X_PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
      {
        name: 'X_OPT_KEY',
        valueFrom: { configMapKeyRef: { name: 'app-config', key: 'absent', optional: true } },
      },
      {
        name: 'X_OPT_CM',
        valueFrom: { configMapKeyRef: { name: 'no-such-config', key: 'k', optional: true } },
      },
      { name: 'X_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'X_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'X_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'X_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'X_TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      {
        name: 'X_MEM_MI',
        valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
      },
    ];
    const mounts = [
      { name: 'config', mountPath: `${BASE}/app`, readOnly: true },
      { name: 'secret', mountPath: `${BASE}/secret`, readOnly: true },
      { name: 'optional', mountPath: OPT_DIR, readOnly: true },
    ];
    const manifest = `${configMap('hello-v1', 'mode=v1')}---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
type: Opaque
data:
  password: ${b64('s3cret-v1')}
  token: ${b64('token-v1')}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cfgweb
spec:
  replicas: 2
  selector:
    matchLabels: {app: cfgweb}
  template:
    metadata:
      labels: {app: cfgweb, tier: front}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - ${container(env, mounts, [CONF, TOKEN], [OPT_DIR, `${BASE}/app`])}
      volumes:
      - name: config
        configMap:
          name: app-config
          items:
          - {key: app.conf, path: app.conf}
      - name: secret
        secret:
          secretName: app-secret
          defaultMode: 0400
          items:
          - {key: token, path: token.txt}
      - name: optional
        configMap: {name: no-such-config, optional: true}
`;
    const applied = c.apply(manifest, '-n', NS);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'configmap/app-config created',
      'secret/app-secret created',
      'deployment.apps/cfgweb created',
    ]);
    // YAML's 0400 is octal: the API keeps 256.
    expect(
      c.k(
        'get',
        'deploy',
        'cfgweb',
        '-n',
        NS,
        '-o',
        'jsonpath={.spec.template.spec.volumes[1].secret.defaultMode}',
      ).stdout,
    ).toBe('256');

    web = await readyPods('app=cfgweb', 2, '2 ready cfgweb pods');
    const seen = await envOf(web);
    for (const [i, p] of web.entries()) {
      expect(seen[i].env).toEqual({
        X_GREETING: 'hello-v1',
        X_PASSWORD: 's3cret-v1',
        X_POD: p.metadata.name,
        X_NS: NS,
        X_IP: p.status?.podIP,
        X_NODE: p.spec.nodeName,
        X_TIER: 'front',
        X_MEM_MI: '96',
      });
      expect(['node-a', 'node-b']).toContain(p.spec.nodeName);
      expect(p.status?.podIP).toBe('127.0.0.1');
      expect(seen[i].files).toEqual({
        [CONF]: { content: 'mode=v1\nlisten=8080\n', mode: '644' },
        [TOKEN]: { content: 'token-v1', mode: '400' },
      });
      // Only the item asked for; the optional volume of a missing ConfigMap is empty.
      expect(seen[i].dirs).toEqual({ [OPT_DIR]: [], [`${BASE}/app`]: ['app.conf'] });
    }
    // The files are in the containers' mount namespaces, not on the host.
    expect(existsSync(CONF)).toBe(false);
    expect(existsSync(TOKEN)).toBe(false);
  });

  it('a ConfigMap changed by kubectl apply and a Secret by kubectl patch reach the mounted files within 90 s; the environment keeps the old values', async () => {
    const applied = c.apply(configMap('hello-v2', 'mode=v2'), '-n', NS);
    expect(applied.stdout.trim()).toBe('configmap/app-config configured');
    const patched = c.k(
      'patch',
      'secret',
      'app-secret',
      '-n',
      NS,
      '--type=merge',
      '-p',
      JSON.stringify({ data: { token: b64('token-v2'), password: b64('s3cret-v2') } }),
    );
    expect(patched).toMatchObject({ code: 0, stdout: 'secret/app-secret patched\n' });
    const started = Date.now();
    const latency: Record<string, number> = {};
    await waitFor(
      async () => {
        const seen = await envOf(web);
        for (const [i, p] of web.entries()) {
          const at = (Date.now() - started) / 1000;
          if (seen[i].files[CONF].content === 'mode=v2\nlisten=8080\n')
            latency[`${p.metadata.name} (${p.spec.nodeName}) configmap`] ??= at;
          if (seen[i].files[TOKEN].content === 'token-v2')
            latency[`${p.metadata.name} (${p.spec.nodeName}) secret`] ??= at;
        }
        return Object.keys(latency).length === 4;
      },
      'the new ConfigMap and Secret contents in the files of both pods',
      90_000,
      250,
    );
    console.log(
      `mounted file update latency (s): ${Object.entries(latency)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
    for (const v of Object.values(latency)) expect(v).toBeLessThan(90);
    const seen = await envOf(web);
    for (const s of seen) {
      expect(s.env).toMatchObject({ X_GREETING: 'hello-v1', X_PASSWORD: 's3cret-v1' });
      expect(s.files[TOKEN]).toEqual({ content: 'token-v2', mode: '400' });
    }
    // The same containers: nothing was restarted to get there.
    const now = await podsOf('app=cfgweb');
    expect(now.map((p) => p.metadata.uid).sort()).toEqual(web.map((p) => p.metadata.uid).sort());
    for (const p of now) expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it("a pod needing a missing ConfigMap waits with CreateContainerConfigError and kubelet's message, and starts once it is created", async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: needs-late
  labels: {app: needs-late}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - ${container(
    [{ name: 'X_LATE', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'v' } } }],
    [{ name: 'late', mountPath: `${BASE}/late` }],
    [`${BASE}/late/v`],
  )}
  volumes:
  - name: late
    configMap: {name: late-config}
`;
    expect(c.apply(manifest, '-n', NS).stdout).toBe('pod/needs-late created\n');
    const get = () => c.k('get', 'pod', 'needs-late', '-n', NS, '--no-headers');
    await waitFor(
      () => get().stdout.split(/\s+/)[2] === 'CreateContainerConfigError',
      'kubectl get pod showing CreateContainerConfigError',
      60_000,
      500,
    );
    expect(get().stdout).toMatch(/^needs-late\s+0\/1\s+CreateContainerConfigError\s+0\s+/);
    const message = c.k(
      'get',
      'pod',
      'needs-late',
      '-n',
      NS,
      '-o',
      'jsonpath={.status.containerStatuses[0].state.waiting.message}',
    ).stdout;
    expect(message).toBe('configmap "late-config" not found');
    const described = c.k('describe', 'pod', 'needs-late', '-n', NS).stdout;
    expect(described).toMatch(/State:\s+Waiting\n\s+Reason:\s+CreateContainerConfigError/);

    expect(
      c.k('create', 'configmap', 'late-config', '-n', NS, '--from-literal=v=arrived').stdout,
    ).toBe('configmap/late-config created\n');
    const started = Date.now();
    const [late] = await readyPods('app=needs-late', 1, 'needs-late ready');
    console.log(
      `the waiting pod was ready ${((Date.now() - started) / 1000).toFixed(1)} s after the ConfigMap was created`,
    );
    const seen = await fetchSeen(late);
    expect(seen.env).toEqual({ X_LATE: 'arrived' });
    expect(seen.files[`${BASE}/late/v`]).toEqual({ content: 'arrived', mode: '644' });
  });
});
