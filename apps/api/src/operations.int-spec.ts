import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApiServer, type TestApiServer } from './testing/test-api-server';

/** Validates an OpenAPI document with @seriousme/openapi-schema-validator (ESM, so in a child process). */
function validateOpenApi(doc: unknown): { valid: boolean; errors?: unknown } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-openapi-'));
  const file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    const v = new Validator();
    const res = await v.validate(${JSON.stringify(file)});
    process.stdout.write(JSON.stringify({ valid: res.valid, errors: res.errors }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.resolve(__dirname, '../../..'),
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout);
}

describe('operations endpoints', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startTestApiServer();
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves /healthz, /livez and /readyz', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const res = await t.anonymous().get(p).expect(200);
      expect(res.text).toBe('ok');
    }
  });

  it('serves /version like kube-apiserver', async () => {
    const res = await t.anonymous().get('/version').expect(200);
    expect(res.body).toMatchObject({
      major: '1',
      minor: expect.any(String),
      gitVersion: expect.stringMatching(/^v1\.\d+\.\d+/),
    });
    for (const k of ['gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform'])
      expect(res.body[k]).toBeDefined();
  });

  it('records request latency by verb, resource and code in /metrics', async () => {
    await t.api().get('/api/v1/namespaces').expect(200);
    await t.api().get('/api/v1/namespaces/nope').expect(404);
    const res = await t.anonymous().get('/metrics').expect(200);
    expect(res.text).toMatch(
      /berth_apiserver_request_duration_seconds_bucket\{[^}]*verb="LIST",resource="namespaces"[^}]*code="200"/,
    );
    expect(res.text).toMatch(
      /berth_apiserver_request_duration_seconds_count\{[^}]*verb="GET",resource="namespaces"[^}]*code="404"/,
    );
  });

  it('serves discovery for kubectl', async () => {
    const api = await t.api().get('/api').expect(200);
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = await t.api().get('/apis').expect(200);
    expect(apis.body.kind).toBe('APIGroupList');
    expect(apis.body.groups.map((g: { name: string }) => g.name)).toContain('apps');
    const v1 = await t.api().get('/api/v1').expect(200);
    const names = v1.body.resources.map((r: { name: string }) => r.name);
    for (const r of [
      'namespaces',
      'nodes',
      'pods',
      'pods/status',
      'services',
      'endpoints',
      'events',
      'resourcequotas',
      'limitranges',
    ])
      expect(names).toContain(r);
    const apps = await t.api().get('/apis/apps/v1').expect(200);
    expect(apps.body.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'deployments',
          kind: 'Deployment',
          namespaced: true,
          shortNames: ['deploy'],
        }),
        expect.objectContaining({
          name: 'deployments/scale',
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
        }),
      ]),
    );
  });

  it('publishes an OpenAPI 3 document that validates, and an interactive docs page', async () => {
    const res = await t.anonymous().get('/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/namespaces/{namespace}/pods/{name}',
        '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
      ]),
    );
    const result = validateOpenApi(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const page = await t.anonymous().get('/docs/').expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it("answers kubectl's OpenAPI v2 protobuf request with a minimal document", async () => {
    const res = await t
      .anonymous()
      .get('/openapi/v2')
      .set('Accept', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect([...(res.body as Buffer)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]);
    await t.anonymous().get('/openapi/v3').expect(404);
  });
});
