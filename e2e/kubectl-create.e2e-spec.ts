/**
 * Every `kubectl create <kind>` subcommand for a kind Berth serves, with the real kubectl of
 * the oldest and the newest version installed. These typed subcommands send protobuf bodies
 * (`application/vnd.kubernetes.protobuf`); each test checks that the request really was
 * protobuf (kubectl -v=8 prints the request headers) and then reads the object back as JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubectlBinary, startApiProcess, type ApiProcess } from './support/processes';

/** kubectl.1.27 … kubectl.1.33 sit beside the real kubectl (an SDK's bin folder). */
function kubectlVersions(): Array<[string, string]> {
  const found = spawnSync('sh', ['-c', `command -v ${kubectlBinary()}`], { encoding: 'utf8' });
  const real = found.status === 0 ? realpathSync(found.stdout.trim()) : kubectlBinary();
  const versioned = ['1.27', '1.33']
    .map((v): [string, string] => [v, path.join(path.dirname(real), `kubectl.${v}`)])
    .filter(([, bin]) => existsSync(bin));
  return versioned.length ? versioned : [['default', real]];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Content-Type of the POST in kubectl's -v=8 log (1.27: `] POST …`, 1.33: `verb="POST"`). */
function postContentType(log: string): string | undefined {
  const post = log.split(/\] POST |verb="POST"/)[1];
  return post?.split(/Response/)[0].match(/Content-Type: (\S+)/)?.[1];
}

describe.each(kubectlVersions())('kubectl %s create <kind> against Berth', (version, bin) => {
  let api: ApiProcess;
  let cache: string;
  const ns = `create-${version.replace(/\W/g, '')}`;
  const run = (...args: string[]): Run => {
    const res = spawnSync(bin, ['--kubeconfig', api.kubeconfig, '--cache-dir', cache, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.error) throw res.error;
    return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
  };
  /** The media type each create sent its body in. */
  const sent: Record<string, string | undefined> = {};
  /** Runs a create with -v=8 (to see the request's media type); it must succeed. */
  const create = (...args: string[]): string => {
    const res = run('create', ...args, '-v=8');
    if (res.code !== 0) throw new Error(`kubectl create ${args.join(' ')} failed:\n${res.stderr}`);
    sent[args.slice(0, args[0] === 'service' ? 2 : 1).join(' ')] = postContentType(res.stderr);
    return res.stdout;
  };
  const getJson = (...args: string[]): Record<string, any> => {
    const res = run('get', ...args, '-o', 'json');
    if (res.code !== 0) throw new Error(`kubectl get ${args.join(' ')} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as Record<string, any>;
  };

  beforeAll(async () => {
    api = await startApiProcess();
    cache = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-kubectl-create-')), 'cache');
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('create namespace', () => {
    expect(create('namespace', ns)).toBe(`namespace/${ns} created\n`);
    const got = getJson('namespace', ns);
    expect(got).toMatchObject({ kind: 'Namespace', metadata: { name: ns } });
    expect(got.status.phase).toBe('Active');
  });

  it('create role', () => {
    create('role', 'r', '--verb=get', '--verb=list', '--resource=pods', '-n', ns);
    const role = getJson('role', 'r', '-n', ns);
    expect(role.metadata).toMatchObject({ name: 'r', namespace: ns });
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
  });

  it('create rolebinding', () => {
    create('rolebinding', 'rb', '--role=r', '--user=dave', '-n', ns);
    const rb = getJson('rolebinding', 'rb', '-n', ns);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dave' },
    ]);
  });

  it('create clusterrole (as cluster admin)', () => {
    const name = `ns-reader-${version.replace(/\W/g, '')}`;
    create('clusterrole', name, '--verb=get,list,watch', '--resource=namespaces');
    const cr = getJson('clusterrole', name);
    expect(cr.metadata.name).toBe(name);
    expect(cr.rules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  it('create clusterrolebinding', () => {
    const role = `ns-reader-${version.replace(/\W/g, '')}`;
    const name = `ns-reader-erin-${version.replace(/\W/g, '')}`;
    create('clusterrolebinding', name, `--clusterrole=${role}`, '--user=erin');
    const crb = getJson('clusterrolebinding', name);
    expect(crb.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role,
    });
    expect(crb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' },
    ]);
  });

  it('create service clusterip', () => {
    create('service', 'clusterip', 'web', '--tcp=80:8080', '-n', ns);
    const svc = getJson('service', 'web', '-n', ns);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: { app: 'web' } });
    expect(svc.spec.ports).toEqual([
      { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
    ]);
    expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('create service nodeport', () => {
    create('service', 'nodeport', 'np', '--tcp=81:8081', '-n', ns);
    const svc = getJson('service', 'np', '-n', ns);
    expect(svc.spec.type).toBe('NodePort');
    const [port] = svc.spec.ports as Array<Record<string, unknown>>;
    expect(port).toMatchObject({ name: '81-8081', protocol: 'TCP', port: 81, targetPort: 8081 });
    expect(port.nodePort).toBeGreaterThanOrEqual(30000);
    expect(port.nodePort).toBeLessThanOrEqual(32767);
  });

  it('create service loadbalancer', () => {
    create('service', 'loadbalancer', 'lb', '--tcp=443:8443', '-n', ns);
    const svc = getJson('service', 'lb', '-n', ns);
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toMatchObject([
      { name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443 },
    ]);
  });

  it('create service externalname', () => {
    create('service', 'externalname', 'ext', '--external-name=example.com', '-n', ns);
    const svc = getJson('service', 'ext', '-n', ns);
    expect(svc.spec).toMatchObject({ type: 'ExternalName', externalName: 'example.com' });
  });

  it('create quota', () => {
    create('quota', 'q', '--hard=cpu=2,memory=1Gi,pods=10', '-n', ns);
    const quota = getJson('resourcequota', 'q', '-n', ns);
    expect(quota.spec.hard).toEqual({ cpu: '2', memory: '1Gi', pods: '10' });
  });

  it('create deployment', () => {
    create('deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=8080', '-n', ns);
    const deploy = getJson('deployment', 'web', '-n', ns);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(deploy.spec.template.spec.containers).toMatchObject([
      { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 8080 }] },
    ]);
  });

  it('received protobuf from kubectl 1.32 and later (JSON from older ones)', () => {
    const client = JSON.parse(run('version', '--client', '-o', 'json').stdout);
    const minor = Number.parseInt(client.clientVersion.minor, 10);
    const expected = minor >= 32 ? 'application/vnd.kubernetes.protobuf' : 'application/json';
    expect(Object.keys(sent)).toHaveLength(11);
    for (const [command, type] of Object.entries(sent)) {
      expect(`${command}: ${type}`).toBe(`${command}: ${expected}`);
    }
  });
});
