import http from 'node:http';
import { TEST_ADMIN_TOKEN, startTestApiServer } from './testing/test-api-server';
import { openWatch } from './testing/watch-client';

/** GET on a connection of its own; resolves with the status, rejects if refused. */
function get(base: string, path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base}${path}`,
      { agent: false, headers: token ? { Authorization: `Bearer ${token}` } : {} },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A POST whose body is sent in two halves: the request is under way until `finish()`. */
function slowCreate(base: string, name: string) {
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const half = Math.floor(body.length / 2);
  let sent!: () => void;
  let finishing!: () => void;
  const started = new Promise<void>((r) => (sent = r));
  const response = new Promise<{ status: number }>((resolve, reject) => {
    const req = http.request(`${base}/api/v1/namespaces`, {
      method: 'POST',
      agent: false,
      headers: {
        Authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.write(body.slice(0, half), () => sent());
    finishing = () => req.end(body.slice(half));
  });
  return { started, response, finish: () => finishing() };
}

describe('graceful shutdown', () => {
  it('turns unready first, keeps serving through the delay, drains, ends watches cleanly', async () => {
    const t = await startTestApiServer({ shutdownDelayMs: 1500, shutdownTimeoutMs: 8000 });
    const base = t.server.httpUrl!;
    let closing: Promise<void> | undefined;
    try {
      const w = await openWatch(base, '/api/v1/namespaces?watch=true', TEST_ADMIN_TOKEN);
      expect(w.status).toBe(200);
      expect(await get(base, '/readyz')).toBe(200);

      const began = Date.now();
      closing = t.server.close();
      // Unready at once, with the reason; the rest is served as before.
      const ready = await fetch(`${base}/readyz`, { headers: { Connection: 'close' } });
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('shutting down');
      expect(await get(base, '/healthz')).toBe(200);
      expect(await get(base, '/api/v1/namespaces', TEST_ADMIN_TOKEN)).toBe(200);

      // A request begun during the delay is still under way when the listener closes.
      const slow = slowCreate(base, 'late-one');
      await slow.started;
      await until(
        () =>
          get(base, '/healthz').then(
            () => false,
            () => true,
          ),
        'the listener to stop accepting',
      );
      expect(Date.now() - began).toBeGreaterThanOrEqual(1400);
      slow.finish();
      const answered = await slow.response;
      expect(answered.status).toBe(201);

      await closing;
      expect(Date.now() - began).toBeLessThan(1500 + 8000);
      // The watch ended with the chunked terminator ('end'), not a reset.
      await w.ended;
      expect(w.outcome()).toBe('end');
      await expect(get(base, '/healthz')).rejects.toThrow();
    } finally {
      await (closing ?? t.server.close());
      await t.db.drop();
    }
  });

  it('ends open watches cleanly and stops listening', async () => {
    const t = await startTestApiServer();
    let closed = false;
    try {
      const w = await openWatch(
        t.server.httpUrl!,
        '/api/v1/namespaces?watch=true',
        TEST_ADMIN_TOKEN,
      );
      expect(w.status).toBe(200);
      await t.server.close();
      closed = true;
      await w.ended;
      await expect(fetch(`${t.server.httpUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (!closed) await t.server.close();
      await t.db.drop();
    }
  });
});
