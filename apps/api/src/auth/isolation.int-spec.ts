import http from 'node:http';
import { Client } from 'pg';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// Tenant isolation on the real app and PostgreSQL: every namespaced kind × verb × caller
// (each tenant role in its own tenant, another tenant, no/expired/revoked token, a node)
// answers exactly the status Kubernetes' RBAC and Berth's isolation promise, and lists and
// watches never carry another tenant's object.

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
const VERBS: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

interface Kind {
  path: string; // collection path with {ns}
  manifest(name: string, ns: string): Record<string, unknown>;
}

const KINDS: Record<string, Kind> = {
  pods: {
    path: '/api/v1/namespaces/{ns}/pods',
    manifest: (name) => ({
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }),
  },
  services: {
    path: '/api/v1/namespaces/{ns}/services',
    manifest: (name) => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } }),
  },
  endpoints: {
    path: '/api/v1/namespaces/{ns}/endpoints',
    manifest: (name) => ({ metadata: { name }, subsets: [] }),
  },
  events: {
    path: '/api/v1/namespaces/{ns}/events',
    manifest: (name, ns) => ({
      metadata: { name },
      involvedObject: { kind: 'Pod', name: 'x', namespace: ns },
      reason: 'Test',
      message: 'seeded',
      type: 'Normal',
    }),
  },
  resourcequotas: {
    path: '/api/v1/namespaces/{ns}/resourcequotas',
    manifest: (name) => ({ metadata: { name }, spec: { hard: { pods: '10' } } }),
  },
  limitranges: {
    path: '/api/v1/namespaces/{ns}/limitranges',
    manifest: (name) => ({
      metadata: { name },
      spec: { limits: [{ type: 'Container', default: { cpu: '100m' } }] },
    }),
  },
  replicationcontrollers: {
    path: '/api/v1/namespaces/{ns}/replicationcontrollers',
    manifest: (name) => ({
      metadata: { name },
      spec: {
        replicas: 0,
        selector: { app: name },
        template: workload(name).spec.template,
      },
    }),
  },
  serviceaccounts: {
    path: '/api/v1/namespaces/{ns}/serviceaccounts',
    manifest: (name) => ({ metadata: { name } }),
  },
  deployments: {
    path: '/apis/apps/v1/namespaces/{ns}/deployments',
    manifest: (name) => workload(name),
  },
  replicasets: {
    path: '/apis/apps/v1/namespaces/{ns}/replicasets',
    manifest: (name) => workload(name),
  },
  roles: {
    path: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles',
    manifest: (name) => ({
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
  },
  rolebindings: {
    path: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings',
    manifest: (name) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'someone' }],
    }),
  },
  leases: {
    path: '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases',
    manifest: (name) => ({ metadata: { name }, spec: { holderIdentity: 'x' } }),
  },
  configmaps: {
    path: '/api/v1/namespaces/{ns}/configmaps',
    manifest: (name) => ({ metadata: { name }, data: { key: 'value' } }),
  },
  secrets: {
    path: '/api/v1/namespaces/{ns}/secrets',
    manifest: (name) => ({
      metadata: { name },
      type: 'Opaque',
      data: { password: Buffer.from('s3cr3t').toString('base64') },
    }),
  },
  jobs: {
    path: '/apis/batch/v1/namespaces/{ns}/jobs',
    manifest: (name) => ({
      metadata: { name },
      spec: {
        suspend: true,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    }),
  },
  cronjobs: {
    path: '/apis/batch/v1/namespaces/{ns}/cronjobs',
    manifest: (name) => ({
      metadata: { name },
      spec: {
        schedule: '0 0 * * *',
        suspend: true,
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
      },
    }),
  },
  daemonsets: {
    path: '/apis/apps/v1/namespaces/{ns}/daemonsets',
    manifest: (name) => {
      const { replicas: _replicas, ...spec } = workload(name).spec;
      return { metadata: { name }, spec };
    },
  },
  poddisruptionbudgets: {
    path: '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
    manifest: (name) => ({
      metadata: { name },
      spec: { minAvailable: 1, selector: { matchLabels: { app: name } } },
    }),
  },
  controllerrevisions: {
    path: '/apis/apps/v1/namespaces/{ns}/controllerrevisions',
    manifest: (name) => ({
      metadata: { name },
      data: { spec: { template: { $patch: 'replace', ...workload(name).spec.template } } },
      revision: 1,
    }),
  },
};

function workload(name: string) {
  return {
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

// What each tenant role may do, as the issue and Kubernetes' admin/edit/view intend:
// viewers read workloads and quotas; developers also write pods, services, events and
// workloads; tenant admins also manage roles and role bindings, and split their tenant's
// budget into namespace quotas and limit ranges. Nobody but the system writes endpoints
// or leases.
const READABLE_BY_ALL = [
  'pods',
  'services',
  'endpoints',
  'events',
  'resourcequotas',
  'limitranges',
  'replicationcontrollers',
  'serviceaccounts',
  'deployments',
  'replicasets',
  'configmaps',
  'jobs',
  'cronjobs',
  'daemonsets',
  'poddisruptionbudgets',
  // As Kubernetes' view/edit/admin: read by every role, written only by controllers.
  'controllerrevisions',
];
const WRITABLE_BY_DEVELOPERS = [
  'pods',
  'services',
  'events',
  'replicationcontrollers',
  'serviceaccounts',
  'deployments',
  'replicasets',
  'configmaps',
  'jobs',
  'cronjobs',
  'daemonsets',
  'poddisruptionbudgets',
];
// Secrets, as Kubernetes' edit/admin and not view (bootstrap.ts): readable and writable by
// developers and tenant admins, not even readable by viewers.
const SECRETS_FOR_EDITORS = ['secrets'];
const ADMIN_EXTRA = ['roles', 'rolebindings'];
const ADMIN_WRITES = ['resourcequotas', 'limitranges'];

function allowed(role: 'tenant-admin' | 'developer' | 'viewer', kind: string, verb: Verb): boolean {
  const read = verb === 'get' || verb === 'list' || verb === 'watch';
  if (role === 'tenant-admin' && ADMIN_EXTRA.includes(kind)) return true;
  if (SECRETS_FOR_EDITORS.includes(kind)) return role !== 'viewer';
  if (role === 'tenant-admin' && !read && ADMIN_WRITES.includes(kind)) return true;
  if (read) return READABLE_BY_ALL.includes(kind);
  return role !== 'viewer' && WRITABLE_BY_DEVELOPERS.includes(kind);
}

const SUCCESS: Record<Verb, number> = {
  get: 200,
  list: 200,
  watch: 200,
  create: 201,
  update: 200,
  patch: 200,
  delete: 200,
};

describe('tenant isolation matrix (real API and PostgreSQL)', () => {
  let t: TestApiServer;
  let seed: TenancySeed;
  let expiredToken: string;
  let revokedToken: string;
  let nodeToken: string;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestApiServer();
    seed = await seedTenancy(t);
    const admin = t.api();
    // Credentials that must not work: an expired token and a revoked one (of a-admin).
    const login = await t
      .anonymous()
      .post('/auth/login')
      .send({ username: 'a-admin', password: seed.password });
    const session = login.body.token as string;
    const expired = await t
      .anonymous()
      .post('/auth/tokens')
      .set('Authorization', `Bearer ${session}`)
      .send({ name: 'old' });
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    await client.query(
      `UPDATE credentials SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [expired.body.id],
    );
    await client.end();
    expiredToken = expired.body.token;
    const revoked = await t
      .anonymous()
      .post('/auth/tokens')
      .set('Authorization', `Bearer ${session}`)
      .send({ name: 'gone' });
    await t
      .anonymous()
      .delete(`/auth/tokens/${revoked.body.id}`)
      .set('Authorization', `Bearer ${session}`);
    revokedToken = revoked.body.token;
    const boot = await admin.post('/auth/bootstrap-tokens').send({});
    const reg = await t
      .anonymous()
      .post('/auth/nodes/register')
      .set('Authorization', `Bearer ${boot.body.token}`)
      .send({ nodeName: 'node-1' });
    nodeToken = reg.body.token;
    // One object of every kind in each tenant's namespace, made by the cluster admin.
    for (const ns of ['a1', 'b1'])
      for (const [kind, k] of Object.entries(KINDS)) {
        const res = await admin
          .post(k.path.replace('{ns}', ns))
          .send(k.manifest(`seed-${kind}`, ns));
        if (res.status !== 201)
          throw new Error(`seed ${kind} in ${ns}: ${res.status} ${JSON.stringify(res.body)}`);
      }
  });

  afterAll(async () => {
    await t?.close();
  });

  function watchStatus(path: string, token?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        `${t.server.httpUrl}${path}${path.includes('?') ? '&' : '?'}watch=true&timeoutSeconds=5`,
        { headers: token ? { Authorization: `Bearer ${token}` } : {} },
        (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (err) =>
        (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err),
      );
    });
  }

  /** Makes the request of `verb` on `kind` in `ns` as `token`; returns the HTTP status. */
  async function attempt(verb: Verb, kind: string, ns: string, token?: string): Promise<number> {
    const k = KINDS[kind];
    const collection = k.path.replace('{ns}', ns);
    const name = `seed-${kind}`;
    const auth = (r: import('supertest').Test) =>
      token ? r.set('Authorization', `Bearer ${token}`) : r;
    switch (verb) {
      case 'get':
        return (await auth(t.anonymous().get(`${collection}/${name}`))).status;
      case 'list':
        return (await auth(t.anonymous().get(collection))).status;
      case 'watch':
        return watchStatus(collection, token);
      case 'create': {
        const res = await auth(t.anonymous().post(collection)).send(
          k.manifest(`new-${counter++}`, ns),
        );
        return res.status;
      }
      case 'update': {
        const current = (await t.api().get(`${collection}/${name}`)).body;
        current.metadata.labels = {
          ...(current.metadata.labels ?? {}),
          touched: String(counter++),
        };
        return (await auth(t.anonymous().put(`${collection}/${name}`)).send(current)).status;
      }
      case 'patch':
        return (
          await auth(t.anonymous().patch(`${collection}/${name}`))
            .set('Content-Type', 'application/merge-patch+json')
            .send({ metadata: { labels: { patched: String(counter++) } } })
        ).status;
      case 'delete': {
        const status = (await auth(t.anonymous().delete(`${collection}/${name}`))).status;
        if (status === 200) {
          // Put it back for the next caller (the cluster admin may).
          const res = await t.api().post(collection).send(k.manifest(name, ns));
          if (res.status !== 201) throw new Error(`re-create ${kind}: ${res.status}`);
        }
        return status;
      }
    }
  }

  it('gives each tenant role exactly its rights in its own namespace', async () => {
    const wrong: string[] = [];
    for (const role of ['tenant-admin', 'developer', 'viewer'] as const)
      for (const kind of Object.keys(KINDS))
        for (const verb of VERBS) {
          const want = allowed(role, kind, verb) ? SUCCESS[verb] : 403;
          const got = await attempt(verb, kind, 'a1', seed.a.tokens[role]);
          if (got !== want) wrong.push(`${role} ${verb} ${kind}: got ${got}, want ${want}`);
        }
    expect(wrong).toEqual([]);
  });

  it("makes another tenant's namespace and objects not exist (404) for every role and verb", async () => {
    const wrong: string[] = [];
    for (const role of ['tenant-admin', 'developer', 'viewer'] as const)
      for (const kind of Object.keys(KINDS))
        for (const verb of VERBS) {
          const got = await attempt(verb, kind, 'b1', seed.a.tokens[role]);
          if (got !== 404) wrong.push(`${role} ${verb} ${kind} in b1: got ${got}, want 404`);
        }
    expect(wrong).toEqual([]);
  });

  it('answers 401 without a token and for expired or revoked tokens', async () => {
    const wrong: string[] = [];
    for (const [who, token] of [
      ['none', undefined],
      ['expired', expiredToken],
      ['revoked', revokedToken],
    ] as const)
      for (const kind of Object.keys(KINDS))
        for (const verb of VERBS) {
          const got = await attempt(verb, kind, 'a1', token);
          if (got !== 401) wrong.push(`${who} ${verb} ${kind}: got ${got}, want 401`);
        }
    expect(wrong).toEqual([]);
  });

  it('lets a node credential read only services and endpoints here (no pod is bound to it)', async () => {
    const wrong: string[] = [];
    for (const kind of Object.keys(KINDS))
      for (const verb of VERBS) {
        const read = verb === 'get' || verb === 'list' || verb === 'watch';
        const want =
          read && (kind === 'services' || kind === 'endpoints')
            ? SUCCESS[verb]
            : kind === 'events' && (verb === 'create' || verb === 'update' || verb === 'patch')
              ? SUCCESS[verb]
              : 403;
        const got = await attempt(verb, kind, 'a1', nodeToken);
        if (got !== want) wrong.push(`node ${verb} ${kind}: got ${got}, want ${want}`);
      }
    expect(wrong).toEqual([]);
  });

  it("never lists another tenant's objects across namespaces, and filters namespaces and tenants", async () => {
    for (const role of ['tenant-admin', 'developer', 'viewer'] as const) {
      const token = seed.a.tokens[role];
      const get = (path: string) => t.anonymous().get(path).set('Authorization', `Bearer ${token}`);
      for (const path of ['/api/v1/pods', '/api/v1/services', '/apis/apps/v1/deployments']) {
        const res = await get(path);
        expect(res.status).toBe(200);
        const namespaces = new Set(
          res.body.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace),
        );
        expect([...namespaces]).toEqual(['a1']);
      }
      const ns = await get('/api/v1/namespaces');
      expect(ns.body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual([
        'a1',
      ]);
      const tenants = await get('/apis/tenancy.berth.dev/v1/tenants');
      expect(
        tenants.body.items.map((n: { metadata: { name: string } }) => n.metadata.name),
      ).toEqual(['team-a']);
      expect((await get('/apis/tenancy.berth.dev/v1/tenants/team-b')).status).toBe(404);
      expect((await get('/api/v1/namespaces/b1')).status).toBe(404);
      expect((await get('/api/v1/namespaces/a1')).status).toBe(200);
    }
    // The cluster admin sees both.
    const all = await t.api().get('/api/v1/pods');
    expect(
      new Set(all.body.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace)),
    ).toEqual(new Set(['a1', 'b1']));
  });

  it("never sends another tenant's object on a watch", async () => {
    const token = seed.a.tokens.developer;
    const rv = (await t.api().get('/api/v1/pods')).body.metadata.resourceVersion;
    const lines: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = http.get(
        `${t.server.httpUrl}/api/v1/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=2`,
        { headers: { Authorization: `Bearer ${token}` } },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              lines.push(buf.slice(0, i));
              buf = buf.slice(i + 1);
            }
          });
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
    });
    for (const ns of ['b1', 'a1', 'b1'])
      await t
        .api()
        .post(`/api/v1/namespaces/${ns}/pods`)
        .send(KINDS.pods.manifest(`w-${counter++}`, ns));
    await done;
    const seen = lines.map((l) => JSON.parse(l).object.metadata.namespace);
    expect(seen).toEqual(['a1']);
  });

  it('applies the same rules to cluster-scoped kinds (namespaces, nodes, tenants, cluster roles)', async () => {
    const admin = t.api();
    await admin
      .post('/api/v1/nodes')
      .send({ metadata: { name: 'node-1' } })
      .expect(201);
    await admin
      .patch('/apis/tenancy.berth.dev/v1/tenants/team-a')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { namespaceLimit: 10 } })
      .expect(200);
    let n = 0;
    // [caller, method, path, body?, expected status]
    type Row = [string, 'get' | 'post' | 'delete', string, unknown, number];
    const spare = async () => {
      const name = `a-spare-${n++}`;
      const res = await admin
        .post('/api/v1/namespaces')
        .send({ metadata: { name, labels: { 'tenancy.berth.dev/tenant': 'team-a' } } });
      if (res.status !== 201) throw new Error(`spare namespace: ${res.status} ${res.body.message}`);
      return name;
    };
    const rows: Row[] = [
      // Namespaces: own tenant's readable by every member, changeable by its tenant admin.
      ['a-view', 'get', '/api/v1/namespaces/a1', undefined, 200],
      ['a-dev', 'get', '/api/v1/namespaces/a1', undefined, 200],
      ['b-admin', 'get', '/api/v1/namespaces/a1', undefined, 404],
      ['a-dev', 'post', '/api/v1/namespaces', { metadata: { name: 'dev-made' } }, 403],
      ['a-view', 'delete', `/api/v1/namespaces/${await spare()}`, undefined, 403],
      ['b-admin', 'delete', `/api/v1/namespaces/${await spare()}`, undefined, 404],
      ['a-admin', 'delete', `/api/v1/namespaces/${await spare()}`, undefined, 200],
      ['node', 'get', '/api/v1/namespaces/a1', undefined, 403],
      ['none', 'get', '/api/v1/namespaces/a1', undefined, 401],
      // Nodes: readable by tenant members (no node pool set), writable by nobody but nodes.
      ['a-view', 'get', '/api/v1/nodes/node-1', undefined, 200],
      ['b-dev', 'get', '/api/v1/nodes', undefined, 200],
      ['a-admin', 'delete', '/api/v1/nodes/node-1', undefined, 403],
      ['a-admin', 'post', '/api/v1/nodes', { metadata: { name: 'sneaky' } }, 403],
      ['node', 'get', '/api/v1/nodes/node-1', undefined, 200],
      ['node', 'post', '/api/v1/nodes', { metadata: { name: 'node-2' } }, 403],
      ['node', 'delete', '/api/v1/nodes/node-1', undefined, 403],
      // Tenants: members read their own; another tenant's does not exist.
      ['a-view', 'get', '/apis/tenancy.berth.dev/v1/tenants/team-a', undefined, 200],
      ['a-admin', 'get', '/apis/tenancy.berth.dev/v1/tenants/team-b', undefined, 404],
      ['a-admin', 'delete', '/apis/tenancy.berth.dev/v1/tenants/team-a', undefined, 403],
      ['b-admin', 'delete', '/apis/tenancy.berth.dev/v1/tenants/team-a', undefined, 404],
      [
        'a-admin',
        'post',
        '/apis/tenancy.berth.dev/v1/tenants',
        { metadata: { name: 'mine' } },
        403,
      ],
      // Cluster RBAC objects: not for tenants.
      ['a-admin', 'get', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view', undefined, 403],
      ['a-admin', 'get', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', undefined, 403],
      [
        'a-admin',
        'post',
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        {
          metadata: { name: 'grab' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'cluster-admin',
          },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'a-admin' }],
        },
        403,
      ],
    ];
    const tokenOf = (who: string): string | undefined => {
      if (who === 'none') return undefined;
      if (who === 'node') return nodeToken;
      const [team, role] = who.split('-');
      const tenant = team === 'a' ? seed.a : seed.b;
      return tenant.tokens[
        ({ admin: 'tenant-admin', dev: 'developer', view: 'viewer' } as const)[role as 'admin']
      ];
    };
    const wrong: string[] = [];
    for (const [who, method, path, body, want] of rows) {
      const token = tokenOf(who);
      let r = t.anonymous()[method](path);
      if (token) r = r.set('Authorization', `Bearer ${token}`);
      const res = body === undefined ? await r : await r.send(body as object);
      if (res.status !== want)
        wrong.push(`${who} ${method} ${path}: got ${res.status}, want ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
