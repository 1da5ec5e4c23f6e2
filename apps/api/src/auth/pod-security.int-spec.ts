import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';
import { seedTenancy, type TenancySeed } from '../testing/tenancy-seed';

// Pod security admission on the real app and PostgreSQL: a developer may not ask for a
// privileged container or a root user (pod or container level, containers and
// initContainers, pods and workload templates) unless a cluster admin allowed it for the
// tenant; a tenant admin cannot allow it.

const TENANTS = '/apis/tenancy.berth.dev/v1/tenants';
const MERGE = 'application/merge-patch+json';

type Sc = Record<string, unknown>;

function podSpec(opts: { pod?: Sc; container?: Sc; init?: Sc }) {
  return {
    ...(opts.pod ? { securityContext: opts.pod } : {}),
    ...(opts.init
      ? { initContainers: [{ name: 'init', image: 'busybox', securityContext: opts.init }] }
      : {}),
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sleep', '1'],
        ...(opts.container ? { securityContext: opts.container } : {}),
      },
    ],
  };
}

describe('pod security admission (real API and PostgreSQL)', () => {
  let s: TestApiServer;
  let seed: TenancySeed;
  let n = 0;
  const as = (token: string) => ({
    post: (url: string, body: object) =>
      s.anonymous().post(url).set('Authorization', `Bearer ${token}`).send(body),
    patch: (url: string, body: object) =>
      s
        .anonymous()
        .patch(url)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', MERGE)
        .send(body),
  });
  const pods = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
  const createPod = (token: string, ns: string, spec: object) =>
    as(token).post(pods(ns), { metadata: { name: `p${++n}` }, spec });

  beforeAll(async () => {
    s = await startTestApiServer();
    seed = await seedTenancy(s);
  });
  afterAll(() => s?.close());

  const cases: Array<[string, Parameters<typeof podSpec>[0], string]> = [
    [
      'privileged',
      { container: { privileged: true } },
      'spec.containers[0].securityContext.privileged',
    ],
    [
      'allowPrivilegeEscalation',
      { container: { allowPrivilegeEscalation: true } },
      'spec.containers[0].securityContext.allowPrivilegeEscalation',
    ],
    [
      'a privileged init container',
      { init: { privileged: true } },
      'spec.initContainers[0].securityContext.privileged',
    ],
    ['runAsUser 0 (pod)', { pod: { runAsUser: 0 } }, 'spec.securityContext.runAsUser'],
    ['runAsGroup 0 (pod)', { pod: { runAsGroup: 0 } }, 'spec.securityContext.runAsGroup'],
    [
      'runAsUser 0 (container)',
      { container: { runAsUser: 0 } },
      'spec.containers[0].securityContext.runAsUser',
    ],
    [
      'runAsGroup 0 (init container)',
      { init: { runAsGroup: 0 } },
      'spec.initContainers[0].securityContext.runAsGroup',
    ],
  ];

  it.each(cases)('refuses %s for a developer with 403 naming the field', async (_, opts, field) => {
    const res = await createPod(seed.a.tokens.developer, seed.a.namespace, podSpec(opts)).expect(
      403,
    );
    expect(res.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
    });
    expect(res.body.message).toContain(field);
    expect(res.body.message).toContain('tenant "team-a"');
    expect(res.body.details.causes).toContainEqual(
      expect.objectContaining({ field, reason: 'FieldValueForbidden' }),
    );
    // Nothing was written.
    const list = await s.api().get(pods(seed.a.namespace)).expect(200);
    expect(
      list.body.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ).not.toContain(`p${n}`);
  });

  it('accepts an unprivileged user and explicit safe settings', async () => {
    await createPod(
      seed.a.tokens.developer,
      seed.a.namespace,
      podSpec({
        pod: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true },
        container: { privileged: false, allowPrivilegeEscalation: false, runAsUser: 1001 },
      }),
    ).expect(201);
  });

  it('refuses Deployment and ReplicaSet templates, and a cluster admin writing into the tenant', async () => {
    const template = {
      metadata: { labels: { app: 'x' } },
      spec: podSpec({ container: { privileged: true } }),
    };
    for (const plural of ['deployments', 'replicasets']) {
      const res = await as(seed.a.tokens.developer)
        .post(`/apis/apps/v1/namespaces/${seed.a.namespace}/${plural}`, {
          metadata: { name: `w-${plural}` },
          spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template },
        })
        .expect(403);
      expect(res.body.message).toContain(
        'spec.template.spec.containers[0].securityContext.privileged',
      );
    }
    // A cluster admin's pod in the tenant's namespace obeys the tenant's policy too (as the
    // ReplicaSet controller's pods do: they are written through the same registry).
    await s
      .api()
      .post(pods(seed.a.namespace))
      .send({ metadata: { name: 'by-admin' }, spec: podSpec({ pod: { runAsUser: 0 } }) })
      .expect(403);
  });

  it('refuses a tenant admin granting itself the allowance', async () => {
    const res = await as(seed.a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, {
        spec: { podSecurity: { allowPrivileged: true, allowRunAsRoot: true } },
      })
      .expect(403);
    expect(res.body.reason).toBe('Forbidden');
    const tenant = await s.api().get(`${TENANTS}/team-a`).expect(200);
    expect(tenant.body.spec.podSecurity).toBeUndefined();
    await as(seed.a.tokens.developer)
      .patch(`${TENANTS}/team-a`, { spec: { podSecurity: { allowPrivileged: true } } })
      .expect(403);
  });

  it('accepts them once a cluster admin allowed it for the tenant, and only for that tenant', async () => {
    await s
      .api()
      .patch(`${TENANTS}/team-a`)
      .set('Content-Type', MERGE)
      .send({ spec: { podSecurity: { allowRunAsRoot: true } } })
      .expect(200);
    await createPod(
      seed.a.tokens.developer,
      seed.a.namespace,
      podSpec({ pod: { runAsUser: 0 } }),
    ).expect(201);
    await createPod(
      seed.a.tokens.developer,
      seed.a.namespace,
      podSpec({ container: { runAsGroup: 0 } }),
    ).expect(201);
    // allowRunAsRoot does not allow privileged; team-b allows nothing.
    const priv = await createPod(
      seed.a.tokens.developer,
      seed.a.namespace,
      podSpec({ container: { privileged: true } }),
    ).expect(403);
    expect(priv.body.message).toContain('spec.podSecurity.allowPrivileged');
    await createPod(
      seed.b.tokens.developer,
      seed.b.namespace,
      podSpec({ pod: { runAsUser: 0 } }),
    ).expect(403);

    await s
      .api()
      .patch(`${TENANTS}/team-a`)
      .set('Content-Type', MERGE)
      .send({ spec: { podSecurity: { allowPrivileged: true } } })
      .expect(200);
    await createPod(
      seed.a.tokens.developer,
      seed.a.namespace,
      podSpec({ container: { privileged: true } }),
    ).expect(201);
    await as(seed.a.tokens.developer)
      .post(`/apis/apps/v1/namespaces/${seed.a.namespace}/deployments`, {
        metadata: { name: 'allowed' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'y' } },
          template: {
            metadata: { labels: { app: 'y' } },
            spec: podSpec({ container: { privileged: true } }),
          },
        },
      })
      .expect(201);
    // The tenant admin may still change members while the allowance stands.
    const t = await s.api().get(`${TENANTS}/team-a`).expect(200);
    await as(seed.a.tokens['tenant-admin'])
      .patch(`${TENANTS}/team-a`, { spec: { members: t.body.spec.members } })
      .expect(200);
  });

  it('validates the allowance field', async () => {
    const res = await s
      .api()
      .patch(`${TENANTS}/team-b`)
      .set('Content-Type', MERGE)
      .send({ spec: { podSecurity: { allowPrivileged: 'yes' } } });
    expect([400, 422]).toContain(res.status);
    expect(res.body.kind).toBe('Status');
  });
});
