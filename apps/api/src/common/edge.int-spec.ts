import net from 'node:net';
import { k8s, pb } from '../../../../libs/core/src/protobuf/test-helpers';
import {
  startTestApiServer,
  TEST_ADMIN_TOKEN,
  type TestApiServer,
} from '../testing/test-api-server';

interface RawResponse {
  code: number;
  headers: string;
  body: string;
}

/** Sends `request` as raw bytes and reads the answer until the server closes or answers in full. */
function raw(base: string, request: string | Buffer): Promise<RawResponse> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      resolve({
        code: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: split < 0 ? '' : text.slice(split + 4),
      });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', done);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      // The server may close before reading all of a very long request.
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? done() : reject(err),
    );
    socket.write(request);
  });
}

function expectStatus(body: unknown, code: number, reason: string): void {
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  expect(typeof (body as { message?: unknown }).message).toBe('string');
}

// What the edge of the API refuses, on the real app and PostgreSQL: NUL anywhere in a
// request, and what Node's HTTP parser refuses before the app (unknown methods, long URIs),
// all answered with a Status, never a 500 or an empty answer.
describe('the edge of the API (real API and PostgreSQL)', () => {
  let t: TestApiServer;

  beforeAll(async () => {
    t = await startTestApiServer();
  });

  afterAll(async () => {
    await t?.close();
  });

  const namespaces = async (): Promise<string[]> =>
    (await t.api().get('/api/v1/namespaces').expect(200)).body.items.map(
      (n: { metadata: { name: string } }) => n.metadata.name,
    );

  it('refuses NUL in a path, a query parameter and a selector with 400', async () => {
    for (const url of [
      '/api/v1/namespaces/bad%00ns',
      '/api/v1/namespaces/default/pods/a%00b',
      '/api/v1/namespaces/bad%00ns/pods',
      '/api/v1/pods?labelSelector=app%3Da%00',
      '/api/v1/pods?fieldSelector=metadata.name%3Da%00b',
      '/api/v1/namespaces/default/pods?resourceVersion=1%00',
      '/apis/apps/v1/namespaces/default/deployments?limit=5&continue=%00',
      '/audit/events?user=a%00',
      '/ui/index.html%00.js',
    ]) {
      const res = await t.api().get(url);
      expect({ url, code: res.status }).toEqual({ url, code: 400 });
      expectStatus(res.body, 400, 'BadRequest');
      expect(res.body.message).toMatch(/NUL/);
    }
    const res = await t
      .api()
      .post('/api/v1/namespaces/bad%00ns/pods')
      .send({
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      });
    expect(res.status).toBe(400);
  });

  it('refuses NUL in any string of a JSON, YAML, patch or protobuf body with 400, writing nothing', async () => {
    const before = await namespaces();
    const json = [
      { metadata: { name: 'nul-value', labels: { a: 'x\u0000y' } } },
      { metadata: { name: 'nul-key', annotations: { 'a\u0000': 'x' } } },
      { metadata: { name: 'nul\u0000name' } },
      { metadata: { name: 'nul-array', finalizers: ['kubernetes', 'a\u0000'] } },
    ];
    for (const body of json) {
      const res = await t.api().post('/api/v1/namespaces').send(body);
      expect(res.status).toBe(400);
      expectStatus(res.body, 400, 'BadRequest');
      expect(res.body.message).toMatch(/NUL/);
      expect(res.body.message).not.toContain('\u0000');
    }
    const yaml = await t
      .api()
      .post('/api/v1/namespaces')
      .set('Content-Type', 'application/yaml')
      .send('metadata:\n  name: nul-yaml\n  labels:\n    a: "x\\0y"\n');
    expect(yaml.status).toBe(400);
    expect(yaml.body.message).toMatch(/NUL/);

    const proto = await t
      .api()
      .post('/api/v1/namespaces')
      .set('Content-Type', 'application/vnd.kubernetes.protobuf')
      .send(Buffer.from(k8s('v1', 'Namespace', pb.message(1, pb.string(1, 'nul\u0000proto')))));
    expect(proto.status).toBe(400);
    expect(proto.body.message).toMatch(/NUL/);

    await t
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'patched' } })
      .expect(201);
    const patch = await t
      .api()
      .patch('/api/v1/namespaces/patched')
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ metadata: { labels: { a: 'x\u0000' } } }));
    expect(patch.status).toBe(400);
    const put = await t
      .api()
      .put('/api/v1/namespaces/patched')
      .send({ metadata: { name: 'patched', labels: { 'b\u0000': 'y' } } });
    expect(put.status).toBe(400);
    const after = (await t.api().get('/api/v1/namespaces/patched').expect(200)).body;
    expect(after.metadata.labels ?? {}).not.toHaveProperty('a');

    expect((await namespaces()).sort()).toEqual([...before, 'patched'].sort());
  });

  it('refuses NUL in a login, unauthenticated, with 400', async () => {
    for (const body of [
      { username: 'admin\u0000', password: 'x' },
      { username: 'admin', password: 'x\u0000' },
    ]) {
      const res = await t.anonymous().post('/auth/login').send(body);
      expect(res.status).toBe(400);
      expectStatus(res.body, 400, 'BadRequest');
    }
  });

  it('refuses NUL in a header with 400', async () => {
    const res = await raw(
      t.server.httpUrl!,
      `GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\u0000x\r\nConnection: close\r\n\r\n`,
    );
    expect(res.code).toBe(400);
    expectStatus(JSON.parse(res.body), 400, 'BadRequest');
  });

  it('answers an unknown method with a 405 Status', async () => {
    // FOO is refused by Node's parser, the others (known to it) by the app.
    for (const method of ['FOO', 'BREW', 'PROPFIND', 'PURGE', 'SEARCH', 'LINK']) {
      const res = await raw(
        t.server.httpUrl!,
        `${method} /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(res.code).toBe(405);
      expect(res.headers).toMatch(/content-type: application\/json/i);
      expectStatus(JSON.parse(res.body), 405, 'MethodNotAllowed');
    }
  });

  it('answers a URI over 16 KiB with a 414 Status, and oversized headers with a 431 Status', async () => {
    const long = await t
      .api()
      .get(`/api/v1/pods?labelSelector=a%20in%20(${'x'.repeat(17 * 1024)})`);
    expect(long.status).toBe(414);
    expectStatus(long.body, 414, 'RequestURITooLong');

    const huge = await raw(
      t.server.httpUrl!,
      `GET /api/v1/pods?labelSelector=${'x'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(huge.code).toBe(414);
    expectStatus(JSON.parse(huge.body), 414, 'RequestURITooLong');

    const headers = await raw(
      t.server.httpUrl!,
      `GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(headers.code).toBe(431);
    expectStatus(JSON.parse(headers.body), 431, 'RequestHeaderFieldsTooLarge');

    // A URI under the limit is served.
    const fine = await t.api().get(`/api/v1/pods?labelSelector=a%20in%20(${'x'.repeat(8 * 1024)})`);
    expect(fine.status).not.toBe(414);
    expect(fine.status).toBeLessThan(500);
  });

  it('answers a malformed request with a 400 Status', async () => {
    const res = await raw(t.server.httpUrl!, 'GET / HTTP/1.1\r\nHost x\r\n\r\n');
    expect(res.code).toBe(400);
    expectStatus(JSON.parse(res.body), 400, 'BadRequest');
  });

  it('says nothing of its files or internals in an error', async () => {
    for (const url of ['/ui/index.html%00.js', '/ui/%E0%A4%A', '/ui/..%2f..%2fpackage.json']) {
      const res = await t.api().get(url);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(/\/(work|tmp|home|root|usr)\/|node_modules|dist\//);
    }
  });
});
