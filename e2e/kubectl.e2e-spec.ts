import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import {
  kubectl,
  kubectlBinary,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';

function deploymentYaml(image: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: ${replicas}
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
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
`;
}

const podYaml = `apiVersion: v1
kind: Pod
metadata:
  name: solo
  labels:
    app: solo
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sleep", "3600"]
`;

describe('the real kubectl against Berth', () => {
  let api: ApiProcess;
  /** Started only for namespace deletion: the tests before it check the API alone. */
  let worker: WorkerProcess | undefined;
  let work: string;
  let cache: string;
  const prefix = `berth-e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const k = (...args: string[]) => kubectl(api.kubeconfig, cache, args);

  beforeAll(async () => {
    api = await startApiProcess();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-kubectl-'));
    cache = path.join(work, 'cache');
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('talks HTTPS with the generated kubeconfig (token + CA)', () => {
    const res = k('version', '-o', 'json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).serverVersion.gitVersion).toMatch(/^v1\.\d+/);
  });

  it('kubectl api-resources lists the built-in kinds', () => {
    const res = k('api-resources');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    for (const line of [
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^pods\s+po\s+v1\s+true\s+Pod$/m,
      /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
    ]) {
      expect(res.stdout).toMatch(line);
    }
  });

  it('kubectl create namespace', () => {
    const res = k('create', 'namespace', 'demo');
    expect(res).toMatchObject({ code: 0, stdout: 'namespace/demo created\n' });
    const get = k('get', 'namespaces');
    expect(get.stdout).toMatch(/^NAME\s+STATUS\s+AGE$/m);
    expect(get.stdout).toMatch(/^demo\s+Active\s+\d+s$/m);
  });

  it('kubectl apply -f creates, then a changed image is a strategic-merge update', () => {
    const file = path.join(work, 'deploy.yaml');
    writeFileSync(file, deploymentYaml('nginx:1.25'));
    const created = k('apply', '-n', 'demo', '-f', file);
    expect(created.stderr).toBe('');
    expect(created).toMatchObject({ code: 0, stdout: 'deployment.apps/web created\n' });
    writeFileSync(file, deploymentYaml('nginx:1.26'));
    const updated = k('apply', '-n', 'demo', '-f', file);
    expect(updated).toMatchObject({ code: 0, stdout: 'deployment.apps/web configured\n' });
    const image = k(
      'get',
      'deploy',
      'web',
      '-n',
      'demo',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}',
    );
    expect(image.stdout).toBe('nginx:1.26 2');
    const again = k('apply', '-n', 'demo', '-f', file);
    expect(again).toMatchObject({ code: 0, stdout: 'deployment.apps/web unchanged\n' });
  });

  it('kubectl create -f a pod, and get deploy,pods -o wide', () => {
    const file = path.join(work, 'pod.yaml');
    writeFileSync(file, podYaml);
    expect(k('create', '-n', 'demo', '-f', file)).toMatchObject({
      code: 0,
      stdout: 'pod/solo created\n',
    });
    const res = k('get', 'deploy,pods', '-n', 'demo', '-o', 'wide');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m,
    );
    expect(res.stdout).toMatch(
      /^deployment\.apps\/web\s+0\/2\s+0\s+0\s+\d+s\s+web\s+nginx:1\.26\s+app=web$/m,
    );
    expect(res.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    expect(res.stdout).toMatch(
      /^pod\/solo\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>$/m,
    );
  });

  it('kubectl get deploy -o yaml prints the stored object', () => {
    const res = k('get', 'deploy', 'web', '-n', 'demo', '-o', 'yaml');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^kind: Deployment$/m);
    expect(res.stdout).toMatch(/^ {2}resourceVersion: "\d+"$/m);
    expect(res.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('kubectl get pods -w receives an event', async () => {
    const child = spawn(
      kubectlBinary(),
      ['--kubeconfig', api.kubeconfig, '--cache-dir', cache, 'get', 'pods', '-n', 'demo', '-w'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => /^solo\s/m.test(out), 'the initial listing in kubectl get -w');
      const file = path.join(work, 'pod2.yaml');
      writeFileSync(file, podYaml.replace('name: solo', 'name: watched'));
      expect(k('create', '-n', 'demo', '-f', file).code).toBe(0);
      await waitFor(
        () => /^watched\s+0\/1\s+Pending/m.test(out),
        'kubectl get -w to print the new pod',
      );
      expect(out.match(/^NAME\s+READY/gm)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('kubectl create deployment (a protobuf body) works like with Kubernetes', () => {
    const res = k(
      'create',
      'deployment',
      'proto',
      '--image=nginx:1.25',
      '--replicas=2',
      '--port=8080',
      '-n',
      'demo',
    );
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, stdout: 'deployment.apps/proto created\n' });
    const got = k(
      'get',
      'deploy',
      'proto',
      '-n',
      'demo',
      '-o',
      'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.selector.matchLabels.app}',
    );
    expect(got.stdout).toBe('2 nginx:1.25 proto');
  });

  it('kubectl scale', () => {
    const res = k('scale', 'deploy/web', '-n', 'demo', '--replicas=5');
    expect(res).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    expect(k('get', 'deploy', 'web', '-n', 'demo', '-o', 'jsonpath={.spec.replicas}').stdout).toBe(
      '5',
    );
  });

  it('kubectl get on a missing object prints the NotFound error and exits 1', () => {
    const res = k('get', 'deploy', 'nope', '-n', 'demo');
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'Error from server (NotFound): deployments.apps "nope" not found',
    );
  });

  it('kubectl delete --dry-run=server leaves the Service and the Deployment in place', () => {
    expect(k('create', 'service', 'clusterip', 'dry', '--tcp=80:8080', '-n', 'demo').code).toBe(0);
    const uid = (kind: string, name: string) =>
      k(
        'get',
        kind,
        name,
        '-n',
        'demo',
        '-o',
        'jsonpath={.metadata.uid}/{.metadata.resourceVersion}',
      ).stdout;
    const before = { svc: uid('svc', 'dry'), deploy: uid('deploy', 'web') };
    expect(before.svc).toMatch(/.+\/\d+/);
    expect(before.deploy).toMatch(/.+\/\d+/);
    const svc = k('delete', 'svc', 'dry', '-n', 'demo', '--dry-run=server');
    expect(svc).toMatchObject({ code: 0, stdout: 'service "dry" deleted (server dry run)\n' });
    const deploy = k('delete', 'deploy', 'web', '-n', 'demo', '--dry-run=server');
    expect(deploy).toMatchObject({
      code: 0,
      stdout: 'deployment.apps "web" deleted (server dry run)\n',
    });
    expect({ svc: uid('svc', 'dry'), deploy: uid('deploy', 'web') }).toEqual(before);
    expect(k('delete', 'svc', 'dry', '-n', 'demo').code).toBe(0);
  });

  it('kubectl delete removes objects and waits for them to go', () => {
    const res = k('delete', 'deploy', 'web', '-n', 'demo');
    expect(res).toMatchObject({ code: 0, stdout: 'deployment.apps "web" deleted\n' });
    expect(k('get', 'deploy', 'web', '-n', 'demo').code).toBe(1);
  });

  it('kubectl delete namespace: Terminating until the namespace controller (a worker) empties it', async () => {
    // No worker runs yet: the API only marks the namespace, as Kubernetes' does.
    const ns = k('delete', 'namespace', 'demo', '--wait=false');
    expect(ns).toMatchObject({ code: 0, stdout: 'namespace "demo" deleted\n' });
    expect(k('get', 'namespace', 'demo').stdout).toMatch(/^demo\s+Terminating\s+\d+[sm]$/m);
    expect(k('get', 'pods', '-n', 'demo', '-o', 'name').stdout).toContain('pod/solo');
    const refused = k('run', 'late', '--image=busybox', '-n', 'demo');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'pods "late" is forbidden: unable to create new content in namespace demo because it is being terminated',
    );

    worker = await startWorkerProcess(api.db.url, prefix, 'kubectl-w0');
    const gone = k('wait', '--for=delete', 'namespace/demo', '--timeout=60s');
    // kubectl says "condition met", or nothing when the namespace was already gone by the
    // time it looked; it fails (code 1) if it is still there after 60 s.
    expect(gone.code).toBe(0);
    expect(['namespace/demo condition met\n', '']).toContain(gone.stdout);
    expect(k('get', 'namespace', 'demo').stderr).toContain('namespaces "demo" not found');
    expect(k('get', 'pods', '-A', '-o', 'name').stdout).not.toContain('pod/solo');
  });

  it('kubectl apply with an unknown field fails with a clear message', () => {
    const file = path.join(work, 'bad.yaml');
    writeFileSync(
      file,
      podYaml
        .replace('name: solo', 'name: bad')
        .replace('  containers:', '  bogusField: 1\n  containers:'),
    );
    k('create', 'namespace', 'strict');
    const res = k('apply', '-n', 'strict', '-f', file);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('unknown field "spec.bogusField"');
  });
});
