import {
  startTestApiServer,
  TEST_ADMIN_TOKEN,
  type TestApiServer,
} from '../testing/test-api-server';
import { openWatch, type WatchClient, type WatchEventLike } from '../testing/watch-client';

type Meta = {
  name?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
};

function pod(name: string, opts: { nodeName?: string; grace?: number } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
      containers: [{ name: 'main', image: 'busybox:1.36' }],
    },
  };
}

const meta = (o: unknown): Meta => (o as { metadata: Meta }).metadata;

describe('a pod deleted at once records its grace period (real PostgreSQL)', () => {
  let t: TestApiServer;
  let w: WatchClient;
  const pods = '/api/v1/namespaces/grace/pods';

  beforeAll(async () => {
    t = await startTestApiServer();
    await t
      .api()
      .post('/api/v1/namespaces')
      .send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'grace' } })
      .expect(201);
    w = await openWatch(t.server.httpUrl!, `${pods}?watch=true`, TEST_ADMIN_TOKEN);
  });

  afterAll(async () => {
    w?.close();
    await t.close();
  });

  const deletedEvent = async (name: string): Promise<WatchEventLike> => {
    const find = (events: WatchEventLike[]) =>
      events.find((e) => e.type === 'DELETED' && e.object.metadata?.name === name);
    await w.until((events) => find(events) !== undefined, `the DELETED event of ${name}`);
    return find(w.events)!;
  };

  /** Creates the pod, deletes it as asked, and returns the answer and the DELETED event. */
  const createAndDelete = async (
    name: string,
    spec: { nodeName?: string; grace?: number },
    query: string,
    body?: object,
  ) => {
    await t.api().post(pods).send(pod(name, spec)).expect(201);
    const req = t.api().delete(`${pods}/${name}${query}`);
    const res = await (body ? req.send(body) : req).expect(200);
    const event = await deletedEvent(name);
    await t.api().get(`${pods}/${name}`).expect(404);
    return { answer: meta(res.body), event: meta(event.object) };
  };

  it.each([
    ['gracePeriodSeconds 0 in the body', '', { gracePeriodSeconds: 0 }, 0],
    ['?gracePeriodSeconds=5', '?gracePeriodSeconds=5', undefined, 5],
    ['no grace period (the spec says 30)', '', undefined, 30],
  ])('%s: the answer and the DELETED event carry it', async (_what, query, body, expected) => {
    const name = `p-${expected}`;
    const before = Date.now();
    const { answer, event } = await createAndDelete(
      name,
      { nodeName: 'n1', grace: 30 },
      query,
      body,
    );
    for (const m of [answer, event]) {
      expect(m.deletionGracePeriodSeconds).toBe(expected);
      // RFC 3339 to the second, as Kubernetes writes it.
      expect(Date.parse(m.deletionTimestamp!)).toBeGreaterThanOrEqual(
        Math.floor(before / 1000) * 1000,
      );
      expect(Date.parse(m.deletionTimestamp!)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('a pod not scheduled yet is deleted with grace period 0 (CheckGracefulDelete)', async () => {
    const { answer, event } = await createAndDelete('unscheduled', { grace: 30 }, '', {
      gracePeriodSeconds: 10,
    });
    expect(answer.deletionGracePeriodSeconds).toBe(0);
    expect(event.deletionGracePeriodSeconds).toBe(0);
  });

  it('a deletecollection records the grace period on every pod it deletes', async () => {
    for (const name of ['c-1', 'c-2'])
      await t
        .api()
        .post(pods)
        .send({
          ...pod(name, { nodeName: 'n1', grace: 30 }),
          metadata: { name, labels: { c: 'x' } },
        })
        .expect(201);
    const res = await t
      .api()
      .delete(`${pods}?labelSelector=c%3Dx`)
      .send({ gracePeriodSeconds: 2 })
      .expect(200);
    const items = (res.body as { items: unknown[] }).items.map(meta);
    expect(items.map((m) => [m.name, m.deletionGracePeriodSeconds])).toEqual([
      ['c-1', 2],
      ['c-2', 2],
    ]);
    for (const name of ['c-1', 'c-2'])
      expect(meta((await deletedEvent(name)).object).deletionGracePeriodSeconds).toBe(2);
  });

  it('a server dry run answers the marked pod and deletes nothing', async () => {
    await t
      .api()
      .post(pods)
      .send(pod('dry', { nodeName: 'n1', grace: 30 }))
      .expect(201);
    const res = await t
      .api()
      .delete(`${pods}/dry`)
      .send({ dryRun: ['All'], gracePeriodSeconds: 3 })
      .expect(200);
    expect(meta(res.body).deletionGracePeriodSeconds).toBe(3);
    const still = meta((await t.api().get(`${pods}/dry`).expect(200)).body);
    expect(still.deletionTimestamp).toBeUndefined();
  });

  it('a resource without a grace period (Endpoints) is recorded as it was', async () => {
    const eps = '/api/v1/namespaces/grace/endpoints';
    await t
      .api()
      .post(eps)
      .send({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' } })
      .expect(201);
    const res = await t.api().delete(`${eps}/e`).send({ gracePeriodSeconds: 0 }).expect(200);
    expect(meta(res.body).deletionTimestamp).toBeUndefined();
    expect(meta(res.body).deletionGracePeriodSeconds).toBeUndefined();
  });
});
