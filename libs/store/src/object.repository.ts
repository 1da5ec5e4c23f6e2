import type { Pool } from 'pg';
import { AtomicTransaction } from './atomic-transaction';
import { Prisma } from './generated/prisma/client';
import { StoreError } from './errors';
import {
  ATOMIC_TIMEOUT_MS,
  CHANGES_CHANNEL,
  getObject,
  PREPARED,
  toStored,
  type Row,
} from './object-rows';
import { ObjectCodec, type StoreEncryption } from './object-codec';
import { reencryptStore, type ReencryptOptions, type ReencryptReport } from './reencrypt';
import { query, transaction } from './sql';
import type {
  ChangeRecord,
  ChangeType,
  FieldRequirementLike,
  JsonObject,
  LabelRequirementLike,
  ListOptions,
  ListResult,
  ObjectKey,
  StoredObject,
} from './types';

export { CHANGES_CHANNEL } from './object-rows';

export interface ObjectRepositoryOptions {
  encryption?: StoreEncryption;
}

interface ChangeRow {
  revision: bigint;
  resource: string;
  namespace: string;
  name: string;
  type: string;
  object: JsonObject;
}

const LABELS = Prisma.sql`("data"->'metadata'->'labels')`;

/**
 * The object store (Berth's etcd): generic over resources, it names none (the domain
 * queries that do are SchedulingRepository and AdmissionRepository). Every write is ONE SQL statement that bumps the
 * single revision row (a row lock held to commit, so revisions commit in order), writes
 * the object with that revision as its resourceVersion, appends the change-log row and
 * queues a NOTIFY. A failed precondition leaves a harmless gap in the revision sequence.
 *
 * Statements run on pg directly (built with the `Prisma.sql` template: values are always
 * bind parameters); reads that must agree with a revision are one statement, so one
 * snapshot, wherever they can be.
 */
export class ObjectRepository {
  private readonly codec: ObjectCodec;

  /**
   * `options.encryption`: the resources whose rows are sealed at rest (in `objects.data`
   * and `changes.object`) and the key ring that seals and opens them.
   */
  constructor(
    private readonly pool: Pool,
    options: ObjectRepositoryOptions = {},
  ) {
    this.codec = new ObjectCodec(options.encryption);
  }

  async get(key: ObjectKey): Promise<StoredObject | null> {
    return getObject(this.pool, key, this.codec);
  }

  /** Creates an object; `object.metadata.resourceVersion` is set to the new revision. */
  async create(
    key: ObjectKey,
    uid: string,
    object: JsonObject,
    fields: Record<string, string>,
  ): Promise<StoredObject> {
    const rows = await this.write(Prisma.sql`
      WITH rev AS (UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value),
      ins AS (
        INSERT INTO objects (resource, namespace, name, uid, resource_version, data, fields)
        SELECT ${key.resource}, ${key.namespace}, ${key.name}, ${uid}::uuid, rev.value,
               jsonb_set(${JSON.stringify(this.codec.encode(key, object))}::jsonb, '{metadata,resourceVersion}', to_jsonb(rev.value::text)),
               ${JSON.stringify(fields)}::jsonb
        FROM rev
        ON CONFLICT DO NOTHING
        RETURNING resource, namespace, name, resource_version, data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT resource_version, resource, namespace, name, 'ADDED', data FROM ins RETURNING revision)
      SELECT ins.*, pg_notify(${CHANGES_CHANNEL}, (SELECT max(revision) FROM chg)::text) IS NULL AS notified
      FROM ins`);
    if (!rows.length)
      throw new StoreError('AlreadyExists', `${key.resource} "${key.name}" already exists`);
    return toStored(rows[0], this.codec);
  }

  /**
   * Replaces an object. With `expectedVersion` the write happens only if the stored
   * resourceVersion still equals it (optimistic concurrency); otherwise Conflict.
   */
  async update(
    key: ObjectKey,
    object: JsonObject,
    fields: Record<string, string>,
    expectedVersion?: bigint,
  ): Promise<StoredObject> {
    const guard =
      expectedVersion === undefined
        ? Prisma.empty
        : Prisma.sql`AND o.resource_version = ${expectedVersion}`;
    const rows = await this.write(Prisma.sql`
      WITH rev AS (UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value),
      upd AS (
        UPDATE objects o SET resource_version = rev.value,
          data = jsonb_set(${JSON.stringify(this.codec.encode(key, object))}::jsonb, '{metadata,resourceVersion}', to_jsonb(rev.value::text)),
          fields = ${JSON.stringify(fields)}::jsonb
        FROM rev
        WHERE o.resource = ${key.resource} AND o.namespace = ${key.namespace} AND o.name = ${key.name} ${guard}
        RETURNING o.resource, o.namespace, o.name, o.resource_version, o.data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT resource_version, resource, namespace, name, 'MODIFIED', data FROM upd RETURNING revision)
      SELECT upd.*, pg_notify(${CHANGES_CHANNEL}, (SELECT max(revision) FROM chg)::text) IS NULL AS notified
      FROM upd`);
    if (!rows.length) throw await this.whyNot(key, expectedVersion);
    return toStored(rows[0], this.codec);
  }

  /**
   * Removes an object for good. `finalObject` (if given) is what the DELETED event
   * carries (e.g. with deletionTimestamp set); otherwise the stored object.
   */
  async delete(
    key: ObjectKey,
    expectedVersion?: bigint,
    finalObject?: JsonObject,
  ): Promise<StoredObject> {
    const guard =
      expectedVersion === undefined
        ? Prisma.empty
        : Prisma.sql`AND o.resource_version = ${expectedVersion}`;
    const snapshot = finalObject
      ? Prisma.sql`${JSON.stringify(this.codec.encode(key, finalObject))}::jsonb`
      : Prisma.sql`del.data`;
    const rows = await this.write(Prisma.sql`
      WITH rev AS (UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value),
      del AS (
        DELETE FROM objects o USING rev
        WHERE o.resource = ${key.resource} AND o.namespace = ${key.namespace} AND o.name = ${key.name} ${guard}
        RETURNING o.resource, o.namespace, o.name, rev.value AS resource_version, o.data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT del.resource_version, del.resource, del.namespace, del.name, 'DELETED',
               jsonb_set(${snapshot}, '{metadata,resourceVersion}', to_jsonb(del.resource_version::text))
        FROM del RETURNING revision, object)
      SELECT del.resource, del.namespace, del.name, del.resource_version, chg.object AS data,
             pg_notify(${CHANGES_CHANNEL}, chg.revision::text) IS NULL AS notified
      FROM del, chg`);
    if (!rows.length) throw await this.whyNot(key, expectedVersion);
    return toStored(rows[0], this.codec);
  }

  /** Lists objects in key order, consistently with the revision it reports. */
  async list(opts: ListOptions): Promise<ListResult> {
    const conds: Prisma.Sql[] = [Prisma.sql`resource = ${opts.resource}`];
    if (opts.namespace !== undefined) conds.push(Prisma.sql`namespace = ${opts.namespace}`);
    if (opts.namespaces) conds.push(Prisma.sql`namespace = ANY(${opts.namespaces}::text[])`);
    if (opts.names) conds.push(Prisma.sql`name = ANY(${opts.names}::text[])`);
    if (opts.labelsAnyOf) {
      const sets = opts.labelsAnyOf.map(
        (labels) => Prisma.sql`(data->'metadata'->'labels') @> ${JSON.stringify(labels)}::jsonb`,
      );
      conds.push(sets.length ? Prisma.sql`(${Prisma.join(sets, ' OR ')})` : Prisma.sql`FALSE`);
    }
    if (opts.continueToken) {
      const token = decodeContinue(opts.continueToken);
      if (token.r !== undefined && token.r !== opts.resource) {
        throw new StoreError(
          'InvalidContinue',
          `continue key is not valid: it was issued for a list of ${token.r}, not of ${opts.resource}`,
        );
      }
      conds.push(Prisma.sql`(namespace, name) > (${token.ns}, ${token.name})`);
    }
    for (const req of opts.labelSelector ?? []) conds.push(labelCondition(req));
    for (const req of opts.fieldSelector ?? []) conds.push(fieldCondition(req));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const limitSql = limit ? Prisma.sql`LIMIT ${limit + 1}` : Prisma.empty;
    const select = Prisma.sql`
      SELECT resource, namespace, name, resource_version, data,
             (SELECT value FROM revision WHERE id = 1) AS revision
      FROM objects
      WHERE ${Prisma.join(conds, ' AND ')}
      ORDER BY namespace, name ${limitSql}`;
    // One statement sees one snapshot: the revision read with the rows is the one they
    // are current at. An empty result carries no revision; then both are read again in
    // one REPEATABLE READ transaction.
    let rows = await query<Row & { revision: bigint }>(this.pool, select);
    let revision: bigint;
    if (rows.length) {
      revision = rows[0].revision;
    } else {
      [revision, rows] = await transaction(
        this.pool,
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
        async (client) => {
          const [rev] = await query<{ value: bigint }>(
            client,
            Prisma.sql`SELECT value FROM revision WHERE id = 1`,
          );
          return [rev.value, await query<Row & { revision: bigint }>(client, select)] as const;
        },
      );
    }
    let continueToken: string | undefined;
    if (limit && rows.length > limit) {
      rows.length = limit;
      const last = rows[rows.length - 1];
      continueToken = encodeContinue({
        rv: revision.toString(),
        ns: last.namespace,
        name: last.name,
        r: opts.resource,
      });
    }
    return { items: rows.map((r) => toStored(r, this.codec)), revision, continueToken };
  }

  /**
   * Every object (of any resource) whose `metadata.ownerReferences` names `uid`, in key
   * order; only in `namespace` when given. Served by the GIN index on ownerReferences.
   */
  async dependentsOf(uid: string, namespace?: string): Promise<StoredObject[]> {
    const inNamespace =
      namespace === undefined ? Prisma.empty : Prisma.sql`AND namespace = ${namespace}`;
    const rows = await query<Row>(
      this.pool,
      Prisma.sql`
      SELECT resource, namespace, name, resource_version, data FROM objects
      WHERE "data"->'metadata'->'ownerReferences' @> jsonb_build_array(jsonb_build_object('uid', ${uid}::text))
        ${inNamespace}
      ORDER BY resource, namespace, name`,
    );
    return rows.map((r) => toStored(r, this.codec));
  }

  /** The newest revision handed out and the newest compacted one. */
  async revision(): Promise<{ current: bigint; compacted: bigint }> {
    const rows = await query<{ value: bigint; compacted: bigint }>(
      this.pool,
      Prisma.sql`SELECT value, compacted FROM revision WHERE id = 1`,
    );
    return { current: rows[0].value, compacted: rows[0].compacted };
  }

  /**
   * Change-log rows after `after`, oldest first. Throws Expired if rows after `after`
   * may already have been compacted away (checked in the same snapshot as the read).
   */
  async changesAfter(after: bigint, limit: number, resource?: string): Promise<ChangeRecord[]> {
    const filter = resource ? Prisma.sql`AND resource = ${resource}` : Prisma.empty;
    // `compacted` comes from the rows' own snapshot. With no rows it is read after them:
    // it only grows, so a later value can only make the Expired check stricter.
    const rows = await query<ChangeRow & { compacted: bigint }>(
      this.pool,
      Prisma.sql`
      SELECT revision, resource, namespace, name, type, object,
             (SELECT compacted FROM revision WHERE id = 1) AS compacted
      FROM changes
      WHERE revision > ${after} ${filter} ORDER BY revision LIMIT ${limit}`,
      PREPARED,
    );
    const compacted = rows.length ? rows[0].compacted : (await this.revision()).compacted;
    if (after < compacted) {
      throw new StoreError('Expired', `too old resource version: ${after} (${compacted})`);
    }
    return rows.map((r) => ({
      revision: r.revision,
      resource: r.resource,
      namespace: r.namespace,
      name: r.name,
      type: r.type as ChangeType,
      object: this.codec.decode(r, r.object),
    }));
  }

  /**
   * Drops change-log rows so that at most `keepRevisions` revisions stay readable.
   * Returns the new compacted revision.
   */
  async compact(keepRevisions: number): Promise<bigint> {
    // Mark first, in a statement of its own (it locks the revision row, which every write
    // needs, so not for the length of the delete): from then on readers asking for older
    // revisions get Expired, as they check `compacted` in the snapshot they read rows from.
    const [marked] = await query<{ compacted: bigint; changed: boolean }>(
      this.pool,
      Prisma.sql`
        WITH cur AS (SELECT value, compacted FROM revision WHERE id = 1),
        upd AS (
          UPDATE revision SET compacted = cur.value - ${BigInt(keepRevisions)} FROM cur
          WHERE revision.id = 1 AND cur.value - ${BigInt(keepRevisions)} > cur.compacted
          RETURNING revision.compacted)
        SELECT coalesce((SELECT compacted FROM upd), (SELECT compacted FROM cur)) AS compacted,
               EXISTS (SELECT 1 FROM upd) AS changed`,
    );
    if (marked.changed)
      await query(this.pool, Prisma.sql`DELETE FROM changes WHERE revision <= ${marked.compacted}`);
    return marked.compacted;
  }

  /**
   * Runs `fn` holding the revision lock, so that everything it reads is current and all
   * of its writes commit together, each with its own revision, in order. Writes whose
   * precondition fails return null instead of throwing, so a batch can apply what still
   * fits and report the rest.
   */
  async atomically<T>(fn: (tx: AtomicTransaction) => Promise<T>): Promise<T> {
    return transaction(this.pool, 'BEGIN', async (client) => {
      // A transaction that hangs must not hold the revision lock (every write) for long.
      await client.query(
        `SET LOCAL statement_timeout = ${ATOMIC_TIMEOUT_MS}; SET LOCAL idle_in_transaction_session_timeout = ${ATOMIC_TIMEOUT_MS}`,
      );
      const [{ value }] = await query<{ value: bigint }>(
        client,
        Prisma.sql`SELECT value FROM revision WHERE id = 1 FOR UPDATE`,
      );
      const tx = new AtomicTransaction(client, value, this.codec);
      const result = await fn(tx);
      if (tx.revision > value) {
        await query(
          client,
          Prisma.sql`UPDATE revision SET value = ${tx.revision} WHERE id = 1 RETURNING
            pg_notify(${CHANGES_CHANNEL}, ${tx.revision.toString()}) IS NULL AS notified`,
        );
      }
      return result;
    });
  }

  /**
   * Rewrites every sealed row (objects and the change log's snapshots) that is not under
   * the first key, in batches; see reencryptStore. After it, other keys can be dropped.
   */
  reencrypt(options: ReencryptOptions = {}): Promise<ReencryptReport> {
    return reencryptStore(this.pool, this.codec, options);
  }

  private async write(sql: Prisma.Sql): Promise<Row[]> {
    return query<Row>(this.pool, sql, PREPARED);
  }

  private async whyNot(key: ObjectKey, expectedVersion?: bigint): Promise<StoreError> {
    const current = await this.get(key);
    if (!current) return new StoreError('NotFound', `${key.resource} "${key.name}" not found`);
    return new StoreError(
      'Conflict',
      `the object has been modified; please apply your changes to the latest version and try again` +
        (expectedVersion !== undefined
          ? ` (have ${expectedVersion}, stored ${current.resourceVersion})`
          : ''),
    );
  }
}

function labelCondition(req: LabelRequirementLike): Prisma.Sql {
  const value = Prisma.sql`(${LABELS}->>${req.key})`;
  switch (req.operator) {
    case 'Equals':
      return Prisma.sql`${LABELS} @> jsonb_build_object(${req.key}::text, ${req.values[0] ?? ''}::text)`;
    case 'NotEquals':
      return Prisma.sql`NOT (coalesce(${LABELS}, '{}'::jsonb) @> jsonb_build_object(${req.key}::text, ${req.values[0] ?? ''}::text))`;
    case 'In':
      return Prisma.sql`${value} = ANY(${req.values}::text[])`;
    case 'NotIn':
      return Prisma.sql`(${value} IS NULL OR NOT (${value} = ANY(${req.values}::text[])))`;
    case 'Exists':
      return Prisma.sql`jsonb_exists(coalesce(${LABELS}, '{}'::jsonb), ${req.key}::text)`;
    case 'DoesNotExist':
      return Prisma.sql`NOT jsonb_exists(coalesce(${LABELS}, '{}'::jsonb), ${req.key}::text)`;
  }
}

function fieldCondition(req: FieldRequirementLike): Prisma.Sql {
  const value = Prisma.sql`coalesce("fields"->>${req.field}::text, '')`;
  return req.operator === 'Equals'
    ? Prisma.sql`${value} = ${req.value}::text`
    : Prisma.sql`${value} <> ${req.value}::text`;
}

interface ContinueToken {
  rv: string;
  ns: string;
  name: string;
  /** The resource listed: a token is good only for the list that issued it. */
  r?: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, ...token })).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken {
  let parsed: (Partial<ContinueToken> & { v?: number }) | undefined;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    // not JSON: refused below
  }
  if (
    parsed?.v === 1 &&
    typeof parsed.ns === 'string' &&
    typeof parsed.name === 'string' &&
    typeof parsed.rv === 'string'
  ) {
    // The revision the first page was read at: a positive integer, as Kubernetes checks.
    if (!/^[1-9]\d{0,18}$/.test(parsed.rv)) {
      throw new StoreError(
        'InvalidContinue',
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    }
    if (parsed.r !== undefined && typeof parsed.r !== 'string') {
      throw new StoreError(
        'InvalidContinue',
        "continue key is not valid: it must be the value of a previous list's metadata.continue",
      );
    }
    return { rv: parsed.rv, ns: parsed.ns, name: parsed.name, r: parsed.r };
  }
  throw new StoreError(
    'InvalidContinue',
    "continue key is not valid: it must be the value of a previous list's metadata.continue",
  );
}
