import { startPrivatePostgres, type PrivatePostgres } from './testing/private-postgres';
import { startTestApiServer, type TestApiServer } from './testing/test-api-server';

interface Outcome {
  at: number;
  method: 'POST' | 'PATCH';
  name: string;
  status: number;
  retryAfter?: string;
  body: {
    kind?: string;
    reason?: string;
    message?: string;
    metadata?: { labels?: Record<string, string> };
  };
}

interface AuditItem {
  verb: string;
  name: string;
  code: number;
}

const WORKERS = 4;
/** Bounds of the load: requests per worker, and time. */
const MAX_REQUESTS_PER_WORKER = 1500;
const LOAD_DEADLINE_MS = 120_000;
/** Driver or server text that must never reach a client. */
const INTERNAL_TEXT =
  /ECONN|EPIPE|57P0|terminat|not yet accepting|database system|Connection|prisma|\bpg\b|127\.0\.0\.1|:\d{4,5}\b|at \w+ \(/i;

async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// A PostgreSQL restart (immediate stop: a crash) under a load of writes, on a private
// PostgreSQL server: no acknowledged write is lost, clients get only 503 with Retry-After
// (never a 500, never driver text) while it is out, /readyz says 503 then 200, the API
// recovers without a restart, and every acknowledged write has its audit event.
describe('a PostgreSQL restart under load (private PostgreSQL, real API)', () => {
  let pg: PrivatePostgres;
  let t: TestApiServer;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestApiServer({}, { databaseServerUrl: pg.url });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await pg?.destroy();
  });

  it('loses no acknowledged write and no audit event, and answers only 503 while it is out', async () => {
    const outcomes: Outcome[] = [];
    const ready: { at: number; status: number; text: string }[] = [];
    let stopped = false;
    const acked = () => outcomes.filter((o) => o.status < 300).length;

    const send = async (method: 'POST' | 'PATCH', name: string, body: object): Promise<Outcome> => {
      const req =
        method === 'POST'
          ? t
              .api()
              .post('/api/v1/namespaces/outage/services')
              .set('Content-Type', 'application/json')
          : t
              .api()
              .patch(`/api/v1/namespaces/outage/services/${name}`)
              .set('Content-Type', 'application/merge-patch+json');
      const res = await req.timeout(30_000).send(JSON.stringify(body));
      const o: Outcome = {
        at: Date.now(),
        method,
        name,
        status: res.status,
        retryAfter: res.headers['retry-after'],
        body: res.body,
      };
      outcomes.push(o);
      return o;
    };

    await t
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'outage' } })
      .expect(201);
    // One object per worker that it updates (in order: its last acknowledged value must stay).
    for (let w = 0; w < WORKERS; w++)
      expect(
        (
          await send('POST', `counter-${w}`, {
            metadata: { name: `counter-${w}`, labels: { gen: '0' } },
            spec: { ports: [{ port: 80 }] },
          })
        ).status,
      ).toBe(201);

    const lastAckedGen = new Map<string, number>();
    const deadline = Date.now() + LOAD_DEADLINE_MS;
    const worker = async (w: number) => {
      for (let i = 1; i <= MAX_REQUESTS_PER_WORKER && !stopped && Date.now() < deadline; i++) {
        if (i % 3 === 0) {
          const name = `counter-${w}`;
          const o = await send('PATCH', name, { metadata: { labels: { gen: String(i) } } });
          if (o.status === 200) lastAckedGen.set(name, i);
        } else {
          const name = `svc-${w}-${i}`;
          await send('POST', name, {
            metadata: { name, labels: { worker: String(w), i: String(i) } },
            spec: { ports: [{ port: 80 }] },
          });
        }
      }
    };
    const probe = async () => {
      while (!stopped && Date.now() < deadline) {
        const res = await t.anonymous().get('/readyz').timeout(30_000);
        ready.push({ at: Date.now(), status: res.status, text: res.text });
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const load = Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), probe()]);

    try {
      await waitUntil(() => acked() >= 40, '40 acknowledged writes before the outage', 60_000);
      const outageAt = Date.now();
      await pg.stop('immediate');
      await waitUntil(
        () =>
          ready.some((r) => r.at > outageAt && r.status === 503) &&
          outcomes.filter((o) => o.at > outageAt && o.status === 503).length >= 3,
        '/readyz and three writes answering 503 while PostgreSQL is down',
        30_000,
      );
      await pg.start();
      const backAt = Date.now();
      await waitUntil(
        () => ready.some((r) => r.at > backAt && r.status === 200),
        '/readyz answering 200 once PostgreSQL is back',
        60_000,
      );
      const before = acked();
      await waitUntil(
        () => acked() >= before + 40,
        '40 acknowledged writes after the restart',
        60_000,
      );
    } finally {
      stopped = true;
      await load;
    }

    const down = ready.filter((r) => r.status === 503);
    process.stderr.write(
      `database outage: ${outcomes.length} writes sent, ${acked()} acknowledged, ` +
        `${outcomes.filter((o) => o.status === 503).length} answered 503; /readyz 503 for ` +
        `${down.length ? down[down.length - 1].at - down[0].at : 0} ms\n`,
    );
    // Only 2xx and 503: no 500, no other error, during or around the outage.
    const statuses = [...new Set(outcomes.map((o) => o.status))].sort();
    expect(statuses.filter((s) => ![200, 201, 503].includes(s))).toEqual([]);
    const unavailable = outcomes.filter((o) => o.status === 503);
    expect(unavailable.length).toBeGreaterThanOrEqual(3);
    for (const o of unavailable) {
      expect(o.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(o.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
      expect(o.body.message).not.toMatch(INTERNAL_TEXT);
    }
    expect(ready.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    for (const r of ready.filter((x) => x.status === 503))
      expect(r.text).not.toMatch(INTERNAL_TEXT);
    expect(ready[ready.length - 1].status).toBe(200);

    // Every acknowledged create is there with its content; every counter keeps its last
    // acknowledged update (or one sent later whose answer was lost in the outage).
    const list = await t.api().get('/api/v1/namespaces/outage/services?limit=10000').expect(200);
    const stored = new Map<string, Record<string, string>>(
      list.body.items.map((s: { metadata: { name: string; labels?: Record<string, string> } }) => [
        s.metadata.name,
        s.metadata.labels ?? {},
      ]),
    );
    const created = outcomes.filter((o) => o.method === 'POST' && o.status === 201);
    const lost = created.filter((o) => !stored.has(o.name));
    expect(lost.map((o) => o.name)).toEqual([]);
    for (const o of created.filter((x) => x.name.startsWith('svc-'))) {
      const [, w, i] = o.name.split('-');
      expect(stored.get(o.name)).toMatchObject({ worker: w, i });
    }
    for (const [name, gen] of lastAckedGen)
      expect(Number(stored.get(name)?.gen)).toBeGreaterThanOrEqual(gen);

    // Every acknowledged write (and every 503 answered to a write) has its audit event.
    const trail = async (): Promise<AuditItem[]> => {
      const items: AuditItem[] = [];
      let cont: string | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await t
          .api()
          .get(`/audit/events?limit=1000${cont ? `&continue=${cont}` : ''}`)
          .expect(200);
        items.push(...res.body.items);
        cont = res.body.continue;
        if (!cont) break;
      }
      return items;
    };
    const key = (verb: string, name: string, code: number) => `${verb} ${name} ${code}`;
    const expected = new Map<string, number>();
    for (const o of outcomes) {
      const k = key(o.method === 'POST' ? 'create' : 'patch', o.name, o.status);
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    let missing: string[] = [];
    await waitUntil(
      async () => {
        const have = new Map<string, number>();
        for (const e of await trail()) {
          const k = key(e.verb, e.name, e.code);
          have.set(k, (have.get(k) ?? 0) + 1);
        }
        missing = [...expected].filter(([k, n]) => (have.get(k) ?? 0) < n).map(([k]) => k);
        return missing.length === 0;
      },
      'an audit event for every answered write',
      30_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; missing: ${missing.slice(0, 20).join(', ')} (${missing.length})`,
      );
    });

    const metrics = (await t.anonymous().get('/metrics').expect(200)).text;
    for (const reason of ['buffer_full', 'rejected', 'shutdown'])
      expect(metrics).toMatch(
        new RegExp(`^berth_apiserver_audit_events_dropped_total\\{reason="${reason}"\\} 0$`, 'm'),
      );
    // The outage was felt by the audit writer too: it retried.
    expect(metrics).toMatch(
      /^berth_apiserver_audit_write_failures_total\{cause="unavailable"\} [1-9]/m,
    );
  }, 300_000);
});
