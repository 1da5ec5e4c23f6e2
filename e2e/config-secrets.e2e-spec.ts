import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createUser, startCluster, type Cluster } from './support/cluster';

// ConfigMaps and Secrets with the real kubectl: the create generators, tables, jsonpath,
// bad input answered with a Status naming the field (and nothing written), a multi-document
// apply, and a tenant viewer kept out of Secrets.

describe('ConfigMaps and Secrets with the real kubectl', () => {
  let cluster: Cluster;
  let work: string;
  const kubeconfigs: Record<string, string> = {};
  const as = (who: string, ...args: string[]) => cluster.kAs(kubeconfigs[who], ...args);
  const a = (...args: string[]) => as('a', '-n', 'c1', ...args);
  const applyJson = (o: unknown) => {
    const file = path.join(work, `${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(o));
    return a('apply', '-f', file);
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

  beforeAll(async () => {
    cluster = await startCluster({ name: 'cfg', worker: false });
    work = cluster.work;
    await cluster.call('POST', '/apis/tenancy.berth.dev/v1/tenants', {
      metadata: { name: 'team-c' },
      spec: {
        members: [
          { user: 'c-admin', role: 'tenant-admin' },
          { user: 'c-viewer', role: 'viewer' },
        ],
      },
    });
    await cluster.call('POST', '/api/v1/namespaces', {
      metadata: { name: 'c1', labels: { 'tenancy.berth.dev/tenant': 'team-c' } },
    });
    for (const [who, user] of [
      ['a', 'c-admin'],
      ['view', 'c-viewer'],
    ])
      kubeconfigs[who] = (await createUser(cluster.api, work, user)).kubeconfig;
  }, 120_000);

  afterAll(() => cluster?.stop());

  it('kubectl create configmap from literals, a file and an env file; jsonpath and table', () => {
    const file = path.join(work, 'app.properties');
    writeFileSync(file, 'color=blue\nsize=3\n');
    const env = path.join(work, 'app.env');
    writeFileSync(env, '# comment\nMODE=prod\nLEVEL=debug\n');
    expect(
      a('create', 'configmap', 'lit', '--from-literal=k1=v1', '--from-literal=k2=v2'),
    ).toMatchObject({ code: 0, stdout: 'configmap/lit created\n' });
    expect(a('create', 'configmap', 'fromfile', `--from-file=${file}`).code).toBe(0);
    expect(a('create', 'configmap', 'fromenv', `--from-env-file=${env}`).code).toBe(0);

    expect(a('get', 'configmap', 'lit', '-o', 'jsonpath={.data.k1},{.data.k2}').stdout).toBe(
      'v1,v2',
    );
    expect(
      a('get', 'configmap', 'fromfile', '-o', 'jsonpath={.data.app\\.properties}').stdout,
    ).toBe('color=blue\nsize=3\n');
    expect(
      a('get', 'configmap', 'fromenv', '-o', 'jsonpath={.data.MODE},{.data.LEVEL}').stdout,
    ).toBe('prod,debug');

    const table = a('get', 'configmaps');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s+/);
    expect(row('lit')?.[1]).toBe('2');
    expect(row('fromfile')?.[1]).toBe('1');
    expect(row('fromenv')?.[1]).toBe('2');
  });

  it('kubectl create secret generic, docker-registry and tls; jsonpath decodes; table', () => {
    expect(a('create', 'secret', 'generic', 'gen', '--from-literal=k=s3cr3t')).toMatchObject({
      code: 0,
      stdout: 'secret/gen created\n',
    });
    expect(
      a(
        'create',
        'secret',
        'docker-registry',
        'reg',
        '--docker-server=registry.example.test',
        '--docker-username=me',
        '--docker-password=pw1',
      ).code,
    ).toBe(0);
    const crt = path.join(work, 'tls.crt');
    const key = path.join(work, 'tls.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=berth.test',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      { stdio: 'ignore' },
    );
    expect(a('create', 'secret', 'tls', 'cert', `--cert=${crt}`, `--key=${key}`).code).toBe(0);

    expect(unb64(a('get', 'secret', 'gen', '-o', 'jsonpath={.data.k}').stdout)).toBe('s3cr3t');
    const docker = JSON.parse(
      unb64(a('get', 'secret', 'reg', '-o', 'jsonpath={.data.\\.dockerconfigjson}').stdout),
    );
    expect(docker.auths['registry.example.test']).toMatchObject({
      username: 'me',
      password: 'pw1',
      auth: b64('me:pw1'),
    });
    expect(unb64(a('get', 'secret', 'cert', '-o', 'jsonpath={.data.tls\\.crt}').stdout)).toBe(
      readFileSync(crt, 'utf8'),
    );

    const lines = a('get', 'secrets').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s+/);
    expect(row('gen')?.slice(1, 3)).toEqual(['Opaque', '1']);
    expect(row('reg')?.slice(1, 3)).toEqual(['kubernetes.io/dockerconfigjson', '1']);
    expect(row('cert')?.slice(1, 3)).toEqual(['kubernetes.io/tls', '2']);
  });

  const notWritten = (kind: string, name: string) => {
    const got = a('get', kind, name);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain('NotFound');
  };

  it('refuses an oversized ConfigMap, naming the field, writing nothing', () => {
    const big = path.join(work, 'big.txt');
    writeFileSync(big, 'x'.repeat(1024 * 1024 + 1));
    const got = a('create', 'configmap', 'big', `--from-file=${big}`);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain(
      'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes',
    );
    notWritten('configmap', 'big');
  });

  it('refuses bad Secrets, naming the field, writing nothing', () => {
    const secret = (name: string, rest: object) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      ...rest,
    });
    const bad64 = applyJson(secret('bad64', { data: { k: 'not*base64' } }));
    expect(bad64.code).not.toBe(0);
    expect(bad64.stderr).toContain(
      'Secret "bad64" is invalid: data[k]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3',
    );
    notWritten('secret', 'bad64');

    const tls = applyJson(
      secret('halftls', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }),
    );
    expect(tls.code).not.toBe(0);
    expect(tls.stderr).toContain('Secret "halftls" is invalid: data[tls.key]: Required value');
    notWritten('secret', 'halftls');

    const dock = applyJson(
      secret('nodock', { type: 'kubernetes.io/dockerconfigjson', data: { other: b64('x') } }),
    );
    expect(dock.code).not.toBe(0);
    expect(dock.stderr).toContain(
      'Secret "nodock" is invalid: data[.dockerconfigjson]: Required value',
    );
    notWritten('secret', 'nodock');
  });

  it('refuses a change to an immutable ConfigMap, keeping the stored data', () => {
    const cm = (v: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'frozen' },
      immutable: true,
      data: { k: v },
    });
    expect(applyJson(cm('one')).code).toBe(0);
    const got = applyJson(cm('two'));
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain(
      'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
    expect(a('get', 'configmap', 'frozen', '-o', 'jsonpath={.data.k}').stdout).toBe('one');
  });

  it('applies one multi-document file with five kinds', () => {
    const file = path.join(work, 'bundle.yaml');
    writeFileSync(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers:
      - name: main
        image: busybox:1.36
        command: [sleep, "3600"]
        envFrom:
        - configMapRef: {name: web-config}
        - secretRef: {name: web-secret}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  MODE: prod
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  TOKEN: abc
`,
    );
    const got = a('apply', '-f', file);
    expect(got.stderr).toBe('');
    expect(got).toMatchObject({
      code: 0,
      stdout:
        'deployment.apps/web created\nservice/web created\nserviceaccount/web created\n' +
        'configmap/web-config created\nsecret/web-secret created\n',
    });
    expect(
      a(
        'get',
        'deployment/web',
        'service/web',
        'sa/web',
        'cm/web-config',
        'secret/web-secret',
        '-o',
        'name',
      ).stdout,
    ).toBe(
      'deployment.apps/web\nservice/web\nserviceaccount/web\nconfigmap/web-config\nsecret/web-secret\n',
    );
    expect(unb64(a('get', 'secret', 'web-secret', '-o', 'jsonpath={.data.TOKEN}').stdout)).toBe(
      'abc',
    );
  });

  it('keeps a tenant viewer out of Secrets but not ConfigMaps', () => {
    const list = as('view', '-n', 'c1', 'get', 'secrets');
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain('Forbidden');
    expect(list.stderr).toContain('cannot list resource "secrets"');
    const one = as('view', '-n', 'c1', 'get', 'secret', 'gen');
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain('cannot get resource "secrets"');
    const cms = as('view', '-n', 'c1', 'get', 'configmaps', '-o', 'name');
    expect(cms.code).toBe(0);
    expect(cms.stdout).toContain('configmap/lit\n');
  });
});
