import {
  AuditRepository,
  createPrismaClient,
  type AuditRecord,
  type PrismaClient,
} from '@berth/store';
import { createTestDatabase, type TestDatabase } from '@berth/store/testing';
import { isUnavailable } from '../common/status-exception.filter';
import { AuditWriter, type AuditWriterEvents } from './audit-writer';
import { freePort } from '../testing/ports';

function record(name: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return { user: 'alice', verb: 'create', code: 201, outcome: 'Success', name, ...extra };
}

/** What the writer reported. */
function recorder() {
  const seen = {
    written: 0,
    failed: { unavailable: 0, rejected: 0 },
    dropped: {} as Record<string, number>,
  };
  const events: AuditWriterEvents = {
    written: (n) => (seen.written += n),
    writeFailed: (_err, _n, unavailable) => seen.failed[unavailable ? 'unavailable' : 'rejected']++,
    dropped: (n, reason) => (seen.dropped[reason] = (seen.dropped[reason] ?? 0) + n),
  };
  return { seen, events };
}

async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// The audit trail's write queue against the real PostgreSQL: one bad event cannot drop the
// others, events wait (bounded) while the database is unreachable, nothing goes uncounted.
describe('AuditWriter (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let repo: AuditRepository;
  let down: PrismaClient;
  let downRepo: AuditRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    repo = new AuditRepository(prisma);
    down = createPrismaClient(`postgresql://postgres@127.0.0.1:${await freePort()}/nothing`);
    downRepo = new AuditRepository(down);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await down?.$disconnect().catch(() => undefined);
    await db?.drop();
  });

  const names = async () => (await repo.list({ limit: 1000 })).items.map((e) => e.name);

  it('writes the others when one event of a batch holds NUL bytes, and that one with U+FFFD', async () => {
    const bad = record('nul\u0000name', {
      user: 'mallory\u0000',
      message: 'pods "a\u0000" not found',
      after: { metadata: { labels: { 'k\u0000': 'v\u0000' } } } as never,
    });
    // PostgreSQL refuses the raw event: this is what used to drop a whole batch.
    await expect(repo.appendMany([record('alone'), bad])).rejects.toThrow();
    expect(await names()).not.toContain('alone');

    const { seen, events } = recorder();
    const writer = new AuditWriter({ write: (r) => repo.appendMany(r), isUnavailable, events });
    writer.push(record('before-nul'));
    writer.push(bad);
    writer.push(record('after-nul'));
    await writer.flush();
    expect(writer.buffered).toBe(0);
    const items = (await repo.list({ limit: 1000 })).items;
    expect(items.map((e) => e.name)).toEqual(
      expect.arrayContaining(['before-nul', 'after-nul', 'nul\uFFFDname']),
    );
    expect(items.find((e) => e.name === 'nul\uFFFDname')).toMatchObject({
      user: 'mallory\uFFFD',
      message: 'pods "a\uFFFD" not found',
      after: { metadata: { labels: { 'k\uFFFD': 'v\uFFFD' } } },
    });
    expect(seen).toEqual({ written: 3, failed: { unavailable: 0, rejected: 0 }, dropped: {} });
  });

  it('writes the others one by one when the database refuses one event, and gives it up counted', async () => {
    const { seen, events } = recorder();
    const writer = new AuditWriter({
      write: (r) => repo.appendMany(r),
      isUnavailable,
      events,
      retryMinMs: 10,
      maxAttempts: 3,
    });
    writer.push(record('ok-1'));
    // An int4 column: the database refuses this one whatever is done to it.
    writer.push(record('refused', { code: 2 ** 40 }));
    writer.push(record('ok-2'));
    await writer.flush();
    expect(await names()).toEqual(expect.arrayContaining(['ok-1', 'ok-2']));
    expect(writer.buffered).toBe(1);
    // Retried (with back-off) until it has been refused three times, then dropped, counted.
    await until(() => writer.buffered === 0, 'the refused event to be given up');
    expect(seen.dropped).toEqual({ rejected: 1 });
    expect(seen.failed.unavailable).toBe(0);
    expect(seen.failed.rejected).toBeGreaterThanOrEqual(3);
    expect(seen.written).toBe(2);
  });

  it('keeps events while the database is unreachable and writes them when it is back', async () => {
    let target = downRepo;
    const { seen, events } = recorder();
    const writer = new AuditWriter({
      write: (r) => target.appendMany(r),
      isUnavailable,
      events,
      flushMs: 10,
      retryMinMs: 20,
      retryMaxMs: 100,
    });
    for (let i = 0; i < 5; i++) writer.push(record(`outage-${i}`));
    await until(() => seen.failed.unavailable >= 2, 'two failed attempts');
    expect(writer.buffered).toBe(5);
    expect(seen.dropped).toEqual({});
    target = repo; // the database is back
    await until(() => writer.buffered === 0, 'the buffered events to be written');
    expect(await names()).toEqual(
      expect.arrayContaining([0, 1, 2, 3, 4].map((i) => `outage-${i}`)),
    );
    expect(seen.written).toBe(5);
    expect(seen.dropped).toEqual({});
  });

  it('bounds what waits: overflow and what is left at shutdown are counted as dropped', async () => {
    const { seen, events } = recorder();
    const writer = new AuditWriter({
      write: (r) => downRepo.appendMany(r),
      isUnavailable,
      events,
      maxBuffered: 3,
      retryMinMs: 20,
    });
    for (let i = 0; i < 5; i++) writer.push(record(`overflow-${i}`));
    expect(writer.buffered).toBe(3);
    expect(seen.dropped).toEqual({ buffer_full: 2 });
    await writer.close(300);
    expect(writer.buffered).toBe(0);
    expect(seen.dropped).toEqual({ buffer_full: 2, shutdown: 3 });
    expect(seen.failed.unavailable).toBeGreaterThanOrEqual(1);
  });

  it('keeps the time of the event, not of the write', async () => {
    const writer = new AuditWriter({
      write: (r) => repo.appendMany(r),
      isUnavailable,
      events: recorder().events,
    });
    const time = new Date(Date.now() - 60_000);
    writer.push(record('a-minute-ago', { time }));
    await writer.flush();
    const entry = (await repo.list({ limit: 1000 })).items.find((e) => e.name === 'a-minute-ago');
    expect(entry?.time).toBe(time.toISOString());
  });
});
