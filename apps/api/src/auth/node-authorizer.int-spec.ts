import http from 'node:http';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

// The node authorizer's graph against the real API and PostgreSQL: a node credential (what
// an agent holds after bootstrap) gets the ConfigMaps and Secrets that a pod bound to its
// node refers to — by env valueFrom, envFrom, a volume, a projected source or
// imagePullSecrets — and a Kubernetes Forbidden Status for anything else: what only a pod
// on another node refers to, what no pod refers to, and any list or watch of them.
describe('node authorizer (real API, PostgreSQL)', () => {
  let t: TestApiServer;
  const tokens: Record<string, string> = {};
  const NS = 'na';

  const as = (node: string) => ({
    get: (url: string) => t.anonymous().get(url).set('Authorization', `Bearer ${tokens[node]}`),
  });

  /** The status code of a watch request (the stream is dropped at once). */
  function watchStatus(path: string, token: string): Promise<{ code: number; body: string }> {
    return new Promise((resolve, reject) => {
      const sep = path.includes('?') ? '&' : '?';
      const req = http.get(
        `${t.server.httpUrl}${path}${sep}watch=true&timeoutSeconds=2`,
        { headers: { Authorization: `Bearer ${token}` } },
        (res) => {
          if (res.statusCode === 200) {
            resolve({ code: 200, body: '' });
            req.destroy();
            return;
          }
          let body = '';
          res.on('data', (c) => (body += String(c)));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', (err) =>
        (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err),
      );
    });
  }

  const pod = (
    name: string,
    nodeName: string,
    spec: Record<string, unknown>,
    container: Record<string, unknown> = {},
  ) => ({
    metadata: { name },
    spec: { nodeName, ...spec, containers: [{ name: 'c', image: 'busybox', ...container }] },
  });

  beforeAll(async () => {
    t = await startTestApiServer();
    const admin = t.api();
    await admin
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
    await admin
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'other' } })
      .expect(201);
    const boot = await admin.post('/auth/bootstrap-tokens').send({}).expect(201);
    for (const node of ['node-a', 'node-b']) {
      const reg = await t
        .anonymous()
        .post('/auth/nodes/register')
        .set('Authorization', `Bearer ${boot.body.token}`)
        .send({ nodeName: node })
        .expect(201);
      tokens[node] = reg.body.token;
    }
    for (const name of ['cm-env', 'cm-envfrom', 'cm-vol', 'cm-proj', 'cm-b', 'cm-none'])
      await admin
        .post(`/api/v1/namespaces/${NS}/configmaps`)
        .send({ metadata: { name }, data: { k: name } })
        .expect(201);
    for (const name of [
      's-env',
      's-envfrom',
      's-vol',
      's-proj',
      's-pull',
      's-init',
      's-b',
      's-none',
    ])
      await admin
        .post(`/api/v1/namespaces/${NS}/secrets`)
        .send({ metadata: { name }, data: { k: Buffer.from(name).toString('base64') } })
        .expect(201);
    // The same names in another namespace: a pod of NS refers to NS's objects only.
    await admin
      .post('/api/v1/namespaces/other/secrets')
      .send({ metadata: { name: 's-env' }, data: { k: 'eA==' } })
      .expect(201);
    const onA = [
      pod(
        'env',
        'node-a',
        {},
        {
          env: [
            { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } },
            { name: 'B', valueFrom: { secretKeyRef: { name: 's-env', key: 'k' } } },
          ],
          envFrom: [{ configMapRef: { name: 'cm-envfrom' } }, { secretRef: { name: 's-envfrom' } }],
        },
      ),
      pod('vols', 'node-a', {
        volumes: [
          { name: 'v1', configMap: { name: 'cm-vol' } },
          { name: 'v2', secret: { secretName: 's-vol' } },
          {
            name: 'v3',
            projected: {
              sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 's-proj' } }],
            },
          },
        ],
      }),
      pod('pull', 'node-a', { imagePullSecrets: [{ name: 's-pull' }] }),
      pod('init', 'node-a', {
        initContainers: [
          {
            name: 'i',
            image: 'busybox',
            env: [{ name: 'I', valueFrom: { secretKeyRef: { name: 's-init', key: 'k' } } }],
          },
        ],
      }),
    ];
    const onB = [
      pod('on-b', 'node-b', {
        volumes: [
          { name: 'v', secret: { secretName: 's-b' } },
          { name: 'w', configMap: { name: 'cm-b' } },
        ],
      }),
    ];
    for (const p of [...onA, ...onB]) {
      const res = await admin.post(`/api/v1/namespaces/${NS}/pods`).send(p);
      if (res.status !== 201)
        throw new Error(`pod ${p.metadata.name}: ${JSON.stringify(res.body)}`);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lets a node get the ConfigMaps and Secrets its pods refer to, however they refer', async () => {
    const got: string[] = [];
    for (const name of ['cm-env', 'cm-envfrom', 'cm-vol', 'cm-proj']) {
      const res = await as('node-a').get(`/api/v1/namespaces/${NS}/configmaps/${name}`);
      got.push(`${name} ${res.status} ${res.body.data?.k}`);
    }
    for (const name of ['s-env', 's-envfrom', 's-vol', 's-proj', 's-pull', 's-init']) {
      const res = await as('node-a').get(`/api/v1/namespaces/${NS}/secrets/${name}`);
      got.push(`${name} ${res.status} ${Buffer.from(res.body.data?.k ?? '', 'base64')}`);
    }
    expect(got).toEqual([
      'cm-env 200 cm-env',
      'cm-envfrom 200 cm-envfrom',
      'cm-vol 200 cm-vol',
      'cm-proj 200 cm-proj',
      's-env 200 s-env',
      's-envfrom 200 s-envfrom',
      's-vol 200 s-vol',
      's-proj 200 s-proj',
      's-pull 200 s-pull',
      's-init 200 s-init',
    ]);
    // node-b's pod refers to s-b and cm-b: node-b reads them.
    await as('node-b').get(`/api/v1/namespaces/${NS}/secrets/s-b`).expect(200);
    await as('node-b').get(`/api/v1/namespaces/${NS}/configmaps/cm-b`).expect(200);
  });

  it('answers Forbidden for what only a pod on another node refers to, and for what no pod refers to', async () => {
    const cases: Array<[string, string, string]> = [
      ['node-a', 'secrets', 's-b'],
      ['node-a', 'configmaps', 'cm-b'],
      ['node-a', 'secrets', 's-none'],
      ['node-a', 'configmaps', 'cm-none'],
      ['node-b', 'secrets', 's-env'],
      ['node-b', 'secrets', 's-vol'],
    ];
    for (const [node, resource, name] of cases) {
      const res = await as(node).get(`/api/v1/namespaces/${NS}/${resource}/${name}`);
      expect({ node, name, status: res.status, body: res.body }).toMatchObject({
        node,
        name,
        status: 403,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Forbidden',
          code: 403,
        },
      });
      expect(res.body.message).toContain(
        `User "system:node:${node}" cannot get resource "${resource}" in API group "" in the namespace "${NS}"`,
      );
      expect(res.body.message).toContain(`no relationship found between node '${node}'`);
      expect(res.body.data).toBeUndefined();
    }
    // A pod of NS refers to NS's s-env, not to other's s-env of the same name.
    const other = await as('node-a').get('/api/v1/namespaces/other/secrets/s-env');
    expect(other.status).toBe(403);
    expect(other.body.reason).toBe('Forbidden');
    // A missing object referred to by no pod: Forbidden as well, not a 404 that tells it apart.
    expect((await as('node-a').get(`/api/v1/namespaces/${NS}/secrets/never-was`)).status).toBe(403);
  });

  it('answers Forbidden to a node listing or watching Secrets and ConfigMaps, in a namespace or across all', async () => {
    for (const url of [
      '/api/v1/secrets',
      `/api/v1/namespaces/${NS}/secrets`,
      '/api/v1/secrets?fieldSelector=metadata.name%3Ds-env',
      '/api/v1/configmaps',
      `/api/v1/namespaces/${NS}/configmaps`,
    ]) {
      const list = await as('node-a').get(url);
      expect({ url, status: list.status, reason: list.body.reason, kind: list.body.kind }).toEqual({
        url,
        status: 403,
        reason: 'Forbidden',
        kind: 'Status',
      });
      expect(list.body.message).toMatch(/cannot list resource "(secrets|configmaps)"/);
      expect(list.body.items).toBeUndefined();
      const watch = await watchStatus(url, tokens['node-a']);
      expect({ url, code: watch.code }).toEqual({ url, code: 403 });
      const status = JSON.parse(watch.body);
      expect(status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(status.message).toMatch(/cannot watch resource "(secrets|configmaps)"/);
    }
  });

  it('follows the pods: a node loses a Secret when the pod referring to it goes, and gains one when a pod is bound', async () => {
    const admin = t.api();
    await as('node-b').get(`/api/v1/namespaces/${NS}/secrets/s-none`).expect(403);
    await admin
      .post(`/api/v1/namespaces/${NS}/pods`)
      .send(pod('late', 'node-b', { volumes: [{ name: 'v', secret: { secretName: 's-none' } }] }))
      .expect(201);
    await as('node-b').get(`/api/v1/namespaces/${NS}/secrets/s-none`).expect(200);
    await admin.delete(`/api/v1/namespaces/${NS}/pods/late?gracePeriodSeconds=0`).expect(200);
    const after = await as('node-b').get(`/api/v1/namespaces/${NS}/secrets/s-none`);
    expect(after.status).toBe(403);
    expect(after.body.reason).toBe('Forbidden');
  });
});
