import { Prisma } from './generated/prisma/client';
import { PLAIN_CODEC, type ObjectCodec } from './object-codec';
import { query, type Queryable } from './sql';
import type { JsonObject, ObjectKey, StoredObject } from './types';

/**
 * What the object store and its domain queries share: the row shape of the `objects`
 * table, the change-log channel and the limits of a write under the revision lock.
 */

/** The store's hot statements of fixed shape are prepared once per connection. */
export const PREPARED = { prepare: true } as const;

/** Statement and idle-in-transaction limit of a transaction that holds the revision lock. */
export const ATOMIC_TIMEOUT_MS = 30_000;

/** Postgres channel that carries "a new revision was committed" hints. */
export const CHANGES_CHANNEL = 'berth_changes';

/** An `objects` row as the store's statements return it. */
export interface Row {
  resource: string;
  namespace: string;
  name: string;
  resource_version: bigint;
  data: JsonObject;
}

/** The stored object a row holds, opened by `codec` (sealed rows are decrypted). */
export function toStored(row: Row, codec: ObjectCodec = PLAIN_CODEC): StoredObject {
  const key = { resource: row.resource, namespace: row.namespace, name: row.name };
  return {
    key,
    resourceVersion: BigInt(row.resource_version),
    object: codec.decode(key, row.data),
  };
}

export async function getObject(
  db: Queryable,
  key: ObjectKey,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<StoredObject | null> {
  const rows = await query<Row>(
    db,
    Prisma.sql`
    SELECT resource, namespace, name, resource_version, data FROM objects
    WHERE resource = ${key.resource} AND namespace = ${key.namespace} AND name = ${key.name}`,
    PREPARED,
  );
  return rows.length ? toStored(rows[0], codec) : null;
}
