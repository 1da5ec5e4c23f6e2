import {
  TEST_ADMIN_TOKEN,
  startTestApiServer,
  type TestApiServer,
} from '../testing/test-api-server';
import { openWatch, type WatchClient } from '../testing/watch-client';

function pod(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

describe('watch (real PostgreSQL LISTEN/NOTIFY)', () => {
  let t: TestApiServer;
  const open: WatchClient[] = [];
  const watch = async (path: string, headers: Record<string, string> = {}) => {
    const w = await openWatch(t.server.httpUrl!, path, TEST_ADMIN_TOKEN, headers);
    open.push(w);
    return w;
  };

  beforeAll(async () => {
    t = await startTestApiServer({ changeLogRetention: 5000, bookmarkIntervalMs: 200 });
    await t
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'w' } })
      .expect(201);
  });

  afterEach(() => {
    for (const w of open.splice(0)) w.close();
  });

  afterAll(async () => {
    await t.close();
  });

  const create = async (name: string, labels: Record<string, string> = {}) =>
    (await t.api().post('/api/v1/namespaces/w/pods').send(pod(name, labels)).expect(201)).body;

  it('from resourceVersion N delivers exactly the events after N, in order', async () => {
    await create('n-before');
    const n = (await create('n-mark')).metadata.resourceVersion;
    const a1 = await create('n-after-1');
    await t
      .api()
      .patch('/api/v1/namespaces/w/pods/n-after-1')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { x: '1' } } })
      .expect(200);
    await t.api().delete('/api/v1/namespaces/w/pods/n-after-1').expect(200);
    const w = await watch(`/api/v1/namespaces/w/pods?watch=true&resourceVersion=${n}`);
    expect(w.status).toBe(200);
    expect(w.headers['content-type']).toContain('application/json');
    await create('n-live');
    await w.until((e) => e.length >= 4, '4 events');
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED n-after-1',
      'MODIFIED n-after-1',
      'DELETED n-after-1',
      'ADDED n-live',
    ]);
    const rvs = w.events.map((e) => BigInt(e.object.metadata!.resourceVersion!));
    expect(rvs[0] > BigInt(n)).toBe(true);
    for (let i = 1; i < rvs.length; i++) expect(rvs[i] > rvs[i - 1]).toBe(true);
    expect(a1.metadata.name).toBe('n-after-1');
  });

  it('without resourceVersion starts with synthetic ADDED events for what exists', async () => {
    await t
      .api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'w-initial' } })
      .expect(201);
    for (const name of ['i1', 'i2'])
      await t.api().post('/api/v1/namespaces/w-initial/pods').send(pod(name)).expect(201);
    const w = await watch('/api/v1/namespaces/w-initial/pods?watch=true');
    await w.until((e) => e.length >= 2, 'initial events');
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED i1',
      'ADDED i2',
    ]);
    await t.api().post('/api/v1/namespaces/w-initial/pods').send(pod('i3')).expect(201);
    await w.until((e) => e.length >= 3, 'live event');
    expect(w.events[2].type).toBe('ADDED');
  });

  it('survives a burst of 1,000 writes without loss', async () => {
    const start = (await t.api().get('/api/v1/namespaces/w/pods').expect(200)).body.metadata
      .resourceVersion;
    const w = await watch(`/api/v1/namespaces/w/pods?watch=true&resourceVersion=${start}`);
    const names = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(
        names
          .slice(i, i + 25)
          .map((n) => t.api().post('/api/v1/namespaces/w/pods').send(pod(n)).expect(201)),
      );
    }
    await w.until((e) => e.length >= 1000, '1000 events', 60_000);
    expect(w.events).toHaveLength(1000);
    expect(new Set(w.events.map((e) => e.object.metadata?.name))).toEqual(new Set(names));
  }, 90_000);

  it('filters by label selector and turns "stops matching" into DELETED', async () => {
    await create('sel-1', { app: 'x' });
    const w = await watch('/api/v1/namespaces/w/pods?watch=true&labelSelector=app%3Dx');
    await w.until((e) => e.length >= 1, 'initial');
    await create('sel-2', { app: 'y' });
    await t
      .api()
      .patch('/api/v1/namespaces/w/pods/sel-1')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { app: 'z' } } })
      .expect(200);
    await create('sel-3', { app: 'x' });
    await w.until((e) => e.length >= 3, 'filtered events');
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED sel-1',
      'DELETED sel-1',
      'ADDED sel-3',
    ]);
  });

  it('honours timeoutSeconds', async () => {
    const w = await watch(
      '/api/v1/namespaces/w/pods?watch=true&resourceVersion=1&timeoutSeconds=1',
    );
    await w.ended;
  });

  it('sends bookmarks when allowed', async () => {
    const rv = (await t.api().get('/api/v1/namespaces/w/pods').expect(200)).body.metadata
      .resourceVersion;
    const w = await watch(
      `/api/v1/namespaces/w/pods?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    await w.until((e) => e.some((x) => x.type === 'BOOKMARK'), 'a bookmark');
    const bookmark = w.events.find((x) => x.type === 'BOOKMARK')!;
    expect(bookmark.object.kind).toBe('Pod');
    expect(BigInt(bookmark.object.metadata!.resourceVersion!) >= BigInt(rv)).toBe(true);
  });

  it('streams one-row Tables when kubectl asks for them', async () => {
    const rv = (await t.api().get('/api/v1/namespaces/w/pods').expect(200)).body.metadata
      .resourceVersion;
    const w = await watch(`/api/v1/namespaces/w/pods?watch=true&resourceVersion=${rv}`, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    await create('tabled');
    await w.until((e) => e.length >= 1, 'a table event');
    expect(w.events[0].object.kind).toBe('Table');
    expect((w.events[0].object.rows as Array<{ cells: unknown[] }>)[0].cells[0]).toBe('tabled');
  });

  it('answers 410 Expired after compaction', async () => {
    const first = (await create('old-1')).metadata.resourceVersion;
    for (let i = 0; i < 5; i++) await create(`old-x-${i}`);
    const repo = t.server.app.get((await import('@berth/store')).ObjectRepository);
    await repo.compact(2);
    const w = await watch(`/api/v1/namespaces/w/pods?watch=true&resourceVersion=${first}`);
    expect(w.status).toBe(200);
    await w.ended;
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' },
    });
    expect(w.events[0].object.message).toMatch(/too old resource version/);
  });
});
