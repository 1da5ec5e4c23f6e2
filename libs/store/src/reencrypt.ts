import type { Pool } from 'pg';
import { Prisma } from './generated/prisma/client';
import type { ObjectCodec } from './object-codec';
import type { Row } from './object-rows';
import { query } from './sql';
import type { JsonObject } from './types';

/** What one table's pass did. */
export interface ReencryptCounts {
  /** Sealed rows read. */
  scanned: number;
  /** Rows rewritten under the first key. */
  rewritten: number;
  /** Rows that were under the first key already. */
  current: number;
  /**
   * Stale rows another writer changed between our read and our swap (a write of the
   * object, or a compaction of the change log): left to that writer, which sealed with its
   * own first key. A second run rewrites them if they are still stale.
   */
  skipped: number;
}

export interface ReencryptReport {
  /** The key rows are rewritten under ('' when the store encrypts nothing). */
  key: string;
  objects: ReencryptCounts;
  changes: ReencryptCounts;
}

export interface ReencryptOptions {
  /** Rows read and swapped per statement (default 200). */
  batchSize?: number;
  /** Called after every batch (progress for a command line). */
  onBatch?(table: 'objects' | 'changes', counts: Readonly<ReencryptCounts>): void;
}

const zero = (): ReencryptCounts => ({ scanned: 0, rewritten: 0, current: 0, skipped: 0 });

interface ChangeRow {
  revision: bigint;
  resource: string;
  namespace: string;
  name: string;
  object: JsonObject;
}

/**
 * Rewrites, in place, every sealed row (in `objects` and in the change log's snapshots)
 * that is not under the codec's first key, or not encrypted at all. A storage migration,
 * not an update: objects, resourceVersions and the revision stay as they are, so no watch
 * event is sent and no client sees a change.
 *
 * Batches walk the key order (objects) and the revision order (changes). Each batch's
 * swap is ONE statement, so one transaction: all its rows or none. A row is swapped only
 * if it still holds the value read (compare-and-swap on the stored JSON), so a concurrent
 * write wins and nothing is lost; the statement takes no revision lock and holds no lock
 * across a round trip, so it is safe while API servers and workers run. Idempotent: a
 * second run finds every row current. A row no configured key opens stops the run with
 * the store's EncryptionError (it names the object and the key); batches before it stay
 * done.
 */
export async function reencryptStore(
  pool: Pool,
  codec: ObjectCodec,
  options: ReencryptOptions = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer, not ${batchSize}`);
  const report: ReencryptReport = {
    key: codec.primaryKeyName ?? '',
    objects: zero(),
    changes: zero(),
  };
  const resources = codec.encryptedResources;
  if (!resources.length) return report;

  let after: [string, string, string] = ['', '', ''];
  for (;;) {
    const rows = await query<Row>(
      pool,
      Prisma.sql`SELECT resource, namespace, name, resource_version, data FROM objects
        WHERE resource = ANY(${resources}::text[])
          AND (resource, namespace, name) > (${after[0]}, ${after[1]}, ${after[2]})
        ORDER BY resource, namespace, name LIMIT ${batchSize}`,
    );
    const swaps = collect(
      report.objects,
      rows,
      codec,
      (r) => r.data,
      (r) => ({
        resource: r.resource,
        namespace: r.namespace,
        name: r.name,
      }),
    );
    if (swaps.length) {
      const done = await query<{ ok: number }>(
        pool,
        Prisma.sql`UPDATE objects o SET data = s.next
          FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(swaps)}::jsonb)
                AS x(resource text, namespace text, name text, prev jsonb, next jsonb)) s
          WHERE o.resource = s.resource AND o.namespace = s.namespace AND o.name = s.name
            AND o.data = s.prev
          RETURNING 1 AS ok`,
      );
      report.objects.rewritten += done.length;
      report.objects.skipped += swaps.length - done.length;
    }
    options.onBatch?.('objects', report.objects);
    if (rows.length < batchSize) break;
    const last = rows[rows.length - 1];
    after = [last.resource, last.namespace, last.name];
  }

  let revision = 0n;
  for (;;) {
    const rows = await query<ChangeRow>(
      pool,
      Prisma.sql`SELECT revision, resource, namespace, name, object FROM changes
        WHERE resource = ANY(${resources}::text[]) AND revision > ${revision}
        ORDER BY revision LIMIT ${batchSize}`,
    );
    const swaps = collect(
      report.changes,
      rows,
      codec,
      (r) => r.object,
      (r) => ({
        revision: String(r.revision),
      }),
    );
    if (swaps.length) {
      const done = await query<{ ok: number }>(
        pool,
        Prisma.sql`UPDATE changes c SET object = s.next
          FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(swaps)}::jsonb)
                AS x(revision bigint, prev jsonb, next jsonb)) s
          WHERE c.revision = s.revision AND c.object = s.prev
          RETURNING 1 AS ok`,
      );
      report.changes.rewritten += done.length;
      report.changes.skipped += swaps.length - done.length;
    }
    options.onBatch?.('changes', report.changes);
    if (rows.length < batchSize) break;
    revision = BigInt(rows[rows.length - 1].revision);
  }
  return report;
}

/** The stale rows of a batch, each with its id, the value read and its new sealed value. */
function collect<R extends { resource: string; namespace: string; name: string }>(
  counts: ReencryptCounts,
  rows: R[],
  codec: ObjectCodec,
  stored: (row: R) => JsonObject,
  id: (row: R) => Record<string, string>,
): Array<Record<string, unknown>> {
  const swaps: Array<Record<string, unknown>> = [];
  for (const row of rows) {
    counts.scanned++;
    const prev = stored(row);
    const { object, stale } = codec.open(row, prev);
    if (!stale) {
      counts.current++;
      continue;
    }
    swaps.push({ ...id(row), prev, next: codec.encode(row, object) });
  }
  return swaps;
}
