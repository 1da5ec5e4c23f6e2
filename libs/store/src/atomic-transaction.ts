import type { PoolClient } from 'pg';
import { Prisma } from './generated/prisma/client';
import { PLAIN_CODEC, type ObjectCodec } from './object-codec';
import { getObject, toStored, type Row } from './object-rows';
import { query } from './sql';
import type { JsonObject, ObjectKey, StoredObject } from './types';

/** Writes inside `ObjectRepository.atomically`, each taking the next revision. */
export class AtomicTransaction {
  constructor(
    private readonly client: PoolClient,
    /** The newest revision written so far (starts at the current one). */
    public revision: bigint,
    private readonly codec: ObjectCodec = PLAIN_CODEC,
  ) {}

  get(key: ObjectKey): Promise<StoredObject | null> {
    return getObject(this.client, key, this.codec);
  }

  /** Every object of `resource`, in these namespaces when given, in key order. */
  async list(resource: string, namespaces?: string[]): Promise<StoredObject[]> {
    const inNamespaces = namespaces
      ? Prisma.sql`AND namespace = ANY(${namespaces}::text[])`
      : Prisma.empty;
    const rows = await query<Row>(
      this.client,
      Prisma.sql`
      SELECT resource, namespace, name, resource_version, data FROM objects
      WHERE resource = ${resource} ${inNamespaces}
      ORDER BY namespace, name`,
    );
    return rows.map((r) => toStored(r, this.codec));
  }

  /** Replaces the object if its stored resourceVersion equals `expectedVersion`; else null. */
  async update(
    key: ObjectKey,
    object: JsonObject,
    fields: Record<string, string>,
    expectedVersion: bigint,
  ): Promise<StoredObject | null> {
    const rev = this.revision + 1n;
    const rows = await query<Row>(
      this.client,
      Prisma.sql`
      WITH upd AS (
        UPDATE objects o SET resource_version = ${rev},
          data = jsonb_set(${JSON.stringify(this.codec.encode(key, object))}::jsonb, '{metadata,resourceVersion}', to_jsonb(${rev.toString()}::text)),
          fields = ${JSON.stringify(fields)}::jsonb
        WHERE o.resource = ${key.resource} AND o.namespace = ${key.namespace} AND o.name = ${key.name}
          AND o.resource_version = ${expectedVersion}
        RETURNING o.resource, o.namespace, o.name, o.resource_version, o.data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT resource_version, resource, namespace, name, 'MODIFIED', data FROM upd RETURNING revision)
      SELECT upd.* FROM upd`,
    );
    if (!rows.length) return null;
    this.revision = rev;
    return toStored(rows[0], this.codec);
  }

  /**
   * Removes the object if its stored resourceVersion equals `expectedVersion`; else null.
   * `finalObject` (if given) is what the DELETED event carries.
   */
  async delete(
    key: ObjectKey,
    expectedVersion: bigint,
    finalObject?: JsonObject,
  ): Promise<StoredObject | null> {
    const rev = this.revision + 1n;
    const snapshot = finalObject
      ? Prisma.sql`${JSON.stringify(this.codec.encode(key, finalObject))}::jsonb`
      : Prisma.sql`del.data`;
    const rows = await query<Row>(
      this.client,
      Prisma.sql`
      WITH del AS (
        DELETE FROM objects o
        WHERE o.resource = ${key.resource} AND o.namespace = ${key.namespace} AND o.name = ${key.name}
          AND o.resource_version = ${expectedVersion}
        RETURNING o.resource, o.namespace, o.name, o.data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT ${rev}::bigint, del.resource, del.namespace, del.name, 'DELETED',
               jsonb_set(${snapshot}, '{metadata,resourceVersion}', to_jsonb(${rev.toString()}::text))
        FROM del RETURNING object)
      SELECT del.resource, del.namespace, del.name, ${rev}::bigint AS resource_version,
             chg.object AS data
      FROM del, chg`,
    );
    if (!rows.length) return null;
    this.revision = rev;
    return toStored(rows[0], this.codec);
  }

  /** Which of `names` exist (of `resource` in `namespace`). */
  async existing(resource: string, namespace: string, names: string[]): Promise<Set<string>> {
    const rows = await query<{ name: string }>(
      this.client,
      Prisma.sql`SELECT name FROM objects
        WHERE resource = ${resource} AND namespace = ${namespace} AND name = ANY(${names}::text[])`,
    );
    return new Set(rows.map((r) => r.name));
  }

  /**
   * Creates several objects in one statement, each with the next revision in the order
   * given. Returns, in that order, each stored object, or null for one whose key exists.
   */
  async createMany(
    items: ReadonlyArray<{
      key: ObjectKey;
      uid: string;
      object: JsonObject;
      fields: Record<string, string>;
    }>,
  ): Promise<Array<StoredObject | null>> {
    if (!items.length) return [];
    const base = this.revision;
    const input = JSON.stringify(
      items.map((it, i) => ({
        ord: i + 1,
        resource: it.key.resource,
        namespace: it.key.namespace,
        name: it.key.name,
        uid: it.uid,
        data: this.codec.encode(it.key, it.object),
        fields: it.fields,
      })),
    );
    const rows = await query<Row>(
      this.client,
      Prisma.sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS x(
          ord int, resource text, namespace text, name text, uid uuid, data jsonb, fields jsonb)),
      ins AS (
        INSERT INTO objects (resource, namespace, name, uid, resource_version, data, fields)
        SELECT resource, namespace, name, uid, ${base}::bigint + ord,
          jsonb_set(data, '{metadata,resourceVersion}', to_jsonb((${base}::bigint + ord)::text)),
          fields
        FROM input ORDER BY ord
        ON CONFLICT DO NOTHING
        RETURNING resource, namespace, name, resource_version, data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT resource_version, resource, namespace, name, 'ADDED', data FROM ins RETURNING revision)
      SELECT ins.* FROM ins`,
    );
    this.revision = base + BigInt(items.length);
    const byKey = new Map(
      rows.map((r) => [`${r.resource}|${r.namespace}|${r.name}`, toStored(r, this.codec)]),
    );
    const seen = new Set<string>();
    return items.map((it) => {
      const k = `${it.key.resource}|${it.key.namespace}|${it.key.name}`;
      // The same key twice: only the first is the one stored.
      if (seen.has(k)) return null;
      seen.add(k);
      return byKey.get(k) ?? null;
    });
  }

  /** Creates the object unless it exists (then null). */
  async create(
    key: ObjectKey,
    uid: string,
    object: JsonObject,
    fields: Record<string, string>,
  ): Promise<StoredObject | null> {
    const [stored] = await this.createMany([{ key, uid, object, fields }]);
    return stored;
  }
}
