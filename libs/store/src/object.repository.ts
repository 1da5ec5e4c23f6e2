import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { Prisma } from './generated/prisma/client';
import { StoreError } from './errors';
import { query, script, transaction, type Queryable } from './sql';
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

/** The store's hot statements of fixed shape are prepared once per connection. */
const PREPARED = { prepare: true } as const;

/** Statement and idle-in-transaction limit of `atomically` (it holds the revision lock). */
const ATOMIC_TIMEOUT_MS = 30_000;

/** Postgres channel that carries "a new revision was committed" hints. */
export const CHANGES_CHANNEL = 'berth_changes';

interface Row {
  resource: string;
  namespace: string;
  name: string;
  resource_version: bigint;
  data: JsonObject;
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
 * The object store (Berth's etcd). Every write is ONE SQL statement that bumps the
 * single revision row (a row lock held to commit, so revisions commit in order), writes
 * the object with that revision as its resourceVersion, appends the change-log row and
 * queues a NOTIFY. A failed precondition leaves a harmless gap in the revision sequence.
 *
 * Statements run on pg directly (built with the `Prisma.sql` template: values are always
 * bind parameters); reads that must agree with a revision are one statement, so one
 * snapshot, wherever they can be.
 */
export class ObjectRepository {
  constructor(private readonly pool: Pool) {}

  async get(key: ObjectKey): Promise<StoredObject | null> {
    return getObject(this.pool, key);
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
               jsonb_set(${JSON.stringify(object)}::jsonb, '{metadata,resourceVersion}', to_jsonb(rev.value::text)),
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
    return toStored(rows[0]);
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
          data = jsonb_set(${JSON.stringify(object)}::jsonb, '{metadata,resourceVersion}', to_jsonb(rev.value::text)),
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
    return toStored(rows[0]);
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
      ? Prisma.sql`${JSON.stringify(finalObject)}::jsonb`
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
    return toStored(rows[0]);
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
    return { items: rows.map(toStored), revision, continueToken };
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
    return rows.map(toStored);
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
      object: r.object,
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
   * precondition fails return null instead of throwing, so a batch (e.g. the scheduler's
   * bindings) can apply what still fits and report the rest.
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
      const tx = new AtomicTransaction(client, value);
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
   * True when a create in `namespace` may be charged to a quota: the namespace has a
   * ResourceQuota, or its tenant (label `tenancy.berth.dev/tenant`) has a tenant quota.
   * One round trip, for every namespaced create.
   */
  async quotaApplies(namespace: string): Promise<boolean> {
    return (await this.admissionContext(namespace, false)).quotaApplies;
  }

  /**
   * What admission needs for a create in `namespace`, in one round trip: whether a quota
   * may charge it (see quotaApplies) and, when asked, the namespace's LimitRanges.
   */
  async admissionContext(
    namespace: string,
    withLimitRanges: boolean,
  ): Promise<{ quotaApplies: boolean; limitRanges: JsonObject[] }> {
    const ranges = withLimitRanges
      ? Prisma.sql`(SELECT coalesce(jsonb_agg(data ORDER BY name), '[]'::jsonb) FROM objects
           WHERE resource = 'limitranges' AND namespace = ${namespace})`
      : Prisma.sql`'[]'::jsonb`;
    const rows = await query<{ applies: boolean; ranges: JsonObject[] }>(
      this.pool,
      Prisma.sql`
      SELECT ${ranges} AS ranges, EXISTS (
          SELECT 1 FROM objects WHERE resource = 'resourcequotas' AND namespace = ${namespace})
        OR EXISTS (
          SELECT 1 FROM objects n
          JOIN objects t ON t.resource = 'tenants.tenancy.berth.dev' AND t.namespace = ''
            AND t.name = n.data->'metadata'->'labels'->>'tenancy.berth.dev/tenant'
          WHERE n.resource = 'namespaces' AND n.namespace = '' AND n.name = ${namespace}
            AND jsonb_typeof(t.data->'spec'->'quota'->'hard') = 'object'
            AND t.data->'spec'->'quota'->'hard' <> '{}'::jsonb) AS applies`,
      PREPARED,
    );
    return { quotaApplies: rows[0]?.applies === true, limitRanges: rows[0]?.ranges ?? [] };
  }

  /**
   * Pods waiting for a node (no spec.nodeName, not finished, not being deleted) of one
   * scheduler shard, oldest first, at most `limit`.
   */
  async pendingPods(shard: number, shards: number, limit: number): Promise<StoredObject[]> {
    const rows = await query<Row>(
      this.pool,
      Prisma.sql`
      SELECT resource, namespace, name, resource_version, data FROM objects
      WHERE resource = 'pods'
        -- As a literal, so that the partial index objects_pods_pending_idx applies.
        AND coalesce(fields->>${Prisma.raw(escapeLiteral(POD_FIELDS.node))}, '') = ''
        AND coalesce(fields->>${POD_FIELDS.phase}, '') NOT IN ('Succeeded', 'Failed')
        AND NOT (data->'metadata' ? 'deletionTimestamp')
        AND coalesce((fields->>${POD_FIELDS.bucket})::int, 0) % ${shards} = ${shard}
      ORDER BY created_at, namespace, name
      LIMIT ${limit}`,
    );
    return rows.map(toStored);
  }

  /**
   * Binds pods to nodes in one transaction sent as ONE round trip, so that the store's
   * revision lock (which every write waits for) is held only while PostgreSQL works, never
   * while a busy client process gets round to its next statement. Under that lock, each
   * binding is re-checked: the node is still the version planned on, and the pods already
   * on it plus the bindings before this one (in the order given) fit its allocatable. A
   * binding that no longer fits, or whose pod changed since it was read, is left out; the
   * caller plans those again. Returns the `namespace/name` of every pod bound.
   */
  async bindPods(bindings: PodBinding[], nodes: NodeCapacity[]): Promise<Set<string>> {
    if (!bindings.length) return new Set();
    const input = JSON.stringify(
      bindings.map((b, i) => ({
        ord: i,
        namespace: b.namespace,
        name: b.name,
        expected: b.expectedVersion.toString(),
        node: b.node,
        cpu: b.milliCpu.toString(),
        mem: b.memory.toString(),
        other: Object.fromEntries(
          Object.entries(b.other ?? {}).map(([k, v]) => [k, v.toString()]),
        ),
        ports: b.hostPorts,
        data: b.object,
        fields: b.fields,
      })),
    );
    const capacity = JSON.stringify(
      nodes.map((n) => ({
        name: n.name,
        rv: n.resourceVersion.toString(),
        cpu: n.milliCpu.toString(),
        mem: n.memory.toString(),
        pods: n.pods,
        other: Object.fromEntries(
          Object.entries(n.other ?? {}).map(([k, v]) => [k, v.toString()]),
        ),
      })),
    );
    const f = (name: string) => escapeLiteral(name);
    // Statement by statement: the usage is read after the lock is held (a statement's
    // snapshot is taken when it starts), so no binding committed meanwhile is missed.
    const text = `
      BEGIN;
      SET LOCAL statement_timeout = ${ATOMIC_TIMEOUT_MS};
      SELECT value FROM revision WHERE id = 1 FOR UPDATE;
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${escapeLiteral(input)}::jsonb) AS b(
          ord int, namespace text, name text, expected bigint, node text,
          cpu numeric, mem numeric, other jsonb, ports text[], data jsonb, fields jsonb)),
      cap AS (
        SELECT c.* FROM jsonb_to_recordset(${escapeLiteral(capacity)}::jsonb) AS c(
          name text, rv bigint, cpu numeric, mem numeric, pods int, other jsonb)
        JOIN objects o ON o.resource = 'nodes' AND o.namespace = '' AND o.name = c.name
          AND o.resource_version = c.rv),
      -- The pods on those nodes that hold resources, read once for both checks below.
      onnode AS MATERIALIZED (
        SELECT fields->>${f(POD_FIELDS.node)} AS node,
               coalesce((fields->>${f(POD_FIELDS.milliCpu)})::numeric, 0) AS cpu,
               coalesce((fields->>${f(POD_FIELDS.memory)})::numeric, 0) AS mem,
               fields->>${f(POD_FIELDS.hostPorts)} AS ports,
               fields->>${f(POD_FIELDS.other)} AS other
        FROM objects
        WHERE resource = 'pods' AND fields->>${f(POD_FIELDS.node)} IN (SELECT name FROM cap)
          AND coalesce(fields->>${f(POD_FIELDS.phase)}, '') NOT IN ('Succeeded', 'Failed')),
      used AS (
        SELECT node, sum(cpu) AS cpu, sum(mem) AS mem, count(*) AS pods FROM onnode GROUP BY 1),
      -- ephemeral-storage and extended resources held on those nodes, by name.
      used_other AS (
        SELECT node, split_part(item, '=', 1) AS res, sum(split_part(item, '=', 2)::numeric) AS amount
        FROM onnode, unnest(string_to_array(other, ',')) AS item
        WHERE coalesce(other, '') <> '' GROUP BY 1, 2),
      -- What each binding asks of those, with the bindings before it on the same node.
      want_other AS (
        SELECT i.ord, i.node, o.key AS res, o.value::numeric AS amount,
               sum(o.value::numeric) OVER (PARTITION BY i.node, o.key ORDER BY i.ord) AS cum
        FROM input i, jsonb_each_text(coalesce(i.other, '{}'::jsonb)) AS o),
      held AS (
        SELECT node, unnest(string_to_array(ports, ',')) AS port FROM onnode
        WHERE coalesce(ports, '') <> ''),
      fits AS (
        SELECT w.* FROM (
          SELECT i.*, sum(i.cpu) OVER n AS cum_cpu, sum(i.mem) OVER n AS cum_mem,
                 count(*) OVER n AS cum_pods
          FROM input i WINDOW n AS (PARTITION BY i.node ORDER BY i.ord)) w
        JOIN cap c ON c.name = w.node
        LEFT JOIN used u ON u.node = w.node
        WHERE coalesce(u.cpu, 0) + w.cum_cpu <= c.cpu
          AND coalesce(u.mem, 0) + w.cum_mem <= c.mem
          AND coalesce(u.pods, 0) + w.cum_pods <= c.pods
          -- Every other resource it asks for fits too (a node without it has 0).
          AND NOT EXISTS (
            SELECT 1 FROM want_other wo
            LEFT JOIN used_other uo ON uo.node = wo.node AND uo.res = wo.res
            WHERE wo.ord = w.ord AND wo.amount > 0
              AND coalesce(uo.amount, 0) + wo.cum > coalesce((c.other->>wo.res)::numeric, 0))
          -- No host port it asks for is held on the node (same protocol and port, and the
          -- same address or either one 0.0.0.0). The plan keeps a batch's own pods apart.
          AND NOT EXISTS (
            SELECT 1 FROM held h, unnest(w.ports) AS want(port)
            WHERE h.node = w.node
              AND split_part(h.port, '/', 1) = split_part(want.port, '/', 1)
              AND split_part(h.port, '/', 2) = split_part(want.port, '/', 2)
              AND (split_part(h.port, '/', 3) = split_part(want.port, '/', 3)
                   OR split_part(h.port, '/', 3) = '0.0.0.0'
                   OR split_part(want.port, '/', 3) = '0.0.0.0'))),
      numbered AS (
        SELECT fits.*, (SELECT value FROM revision WHERE id = 1) + row_number() OVER (ORDER BY ord) AS rev
        FROM fits),
      upd AS (
        UPDATE objects o SET resource_version = n.rev,
          data = jsonb_set(n.data, '{metadata,resourceVersion}', to_jsonb(n.rev::text)),
          fields = n.fields
        FROM numbered n
        WHERE o.resource = 'pods' AND o.namespace = n.namespace AND o.name = n.name
          AND o.resource_version = n.expected
        RETURNING o.resource, o.namespace, o.name, o.resource_version, o.data),
      chg AS (
        INSERT INTO changes (revision, resource, namespace, name, type, object)
        SELECT resource_version, resource, namespace, name, 'MODIFIED', data FROM upd
        RETURNING revision),
      bump AS (
        UPDATE revision SET value = (SELECT max(revision) FROM chg)
        WHERE id = 1 AND EXISTS (SELECT 1 FROM chg)
        RETURNING value)
      SELECT upd.namespace, upd.name,
             (SELECT pg_notify(${f(CHANGES_CHANNEL)}, value::text) IS NULL FROM bump) AS notified
      FROM upd;
      COMMIT;`;
    const results = await script<{ namespace: string; name: string }>(this.pool, text);
    return new Set(results[3].map((r) => `${r.namespace}/${r.name}`));
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

async function getObject(db: Queryable, key: ObjectKey): Promise<StoredObject | null> {
  const rows = await query<Row>(
    db,
    Prisma.sql`
    SELECT resource, namespace, name, resource_version, data FROM objects
    WHERE resource = ${key.resource} AND namespace = ${key.namespace} AND name = ${key.name}`,
    PREPARED,
  );
  return rows.length ? toStored(rows[0]) : null;
}

function toStored(row: Row): StoredObject {
  return {
    key: { resource: row.resource, namespace: row.namespace, name: row.name },
    resourceVersion: BigInt(row.resource_version),
    object: row.data,
  };
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

/** One pod to bind (see ObjectRepository.bindPods). */
export interface PodBinding {
  namespace: string;
  name: string;
  /** The pod's resourceVersion when it was read: it is bound only if still that. */
  expectedVersion: bigint;
  node: string;
  /** The pod's effective requests (what the node's usage sums). */
  milliCpu: bigint;
  memory: bigint;
  /**
   * Its other requests (`ephemeral-storage`, extended resources), by name; absent: none.
   * The node's pods are summed from their {@link POD_FIELDS}.other field.
   */
  other?: Record<string, bigint>;
  /** The host ports it asks for (`PROTOCOL/port/hostIP`): none may be held on the node. */
  hostPorts: string[];
  /** The bound pod and its fields as they are to be stored. */
  object: JsonObject;
  fields: Record<string, string>;
}

/** A node as planned on: its version and allocatable. */
export interface NodeCapacity {
  name: string;
  resourceVersion: bigint;
  milliCpu: bigint;
  memory: bigint;
  pods: number;
  /** Its other allocatable (`ephemeral-storage`, extended resources); a name absent: 0. */
  other?: Record<string, bigint>;
}

/** Internal field keys the registry stores for pods (never selectable through the API). */
export const POD_FIELDS = {
  node: 'spec.nodeName',
  phase: 'status.phase',
  milliCpu: '__requests.milliCpu',
  memory: '__requests.memory',
  /**
   * The pod's other positive requests (`ephemeral-storage`, extended resources such as
   * `example.com/gpu`), `name=amount` joined by commas (see encodeOtherRequests).
   */
  other: '__requests.other',
  nonZeroMilliCpu: '__nonzero.milliCpu',
  nonZeroMemory: '__nonzero.memory',
  owner: '__owner.uid',
  /** The host ports the pod holds on its node, `PROTOCOL/port/hostIP` joined by commas. */
  hostPorts: '__hostPorts',
  /** 0–63 from a hash of namespace/name: scheduler shards pick their pods by bucket. */
  bucket: '__bucket',
} as const;

/** {@link POD_FIELDS}.other of a pod's other requests (empty when there are none). */
export function encodeOtherRequests(other: Record<string, bigint>): string {
  return Object.entries(other)
    .filter(([, v]) => v > 0n)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Number of scheduling buckets (shards take `bucket % shards`). */
export const POD_BUCKETS = 64;

/** FNV-1a of `namespace/name` into {@link POD_BUCKETS} buckets. */
export function podBucket(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % POD_BUCKETS;
}

/** Writes inside `ObjectRepository.atomically`, each taking the next revision. */
export class AtomicTransaction {
  constructor(
    private readonly client: PoolClient,
    /** The newest revision written so far (starts at the current one). */
    public revision: bigint,
  ) {}

  get(key: ObjectKey): Promise<StoredObject | null> {
    return getObject(this.client, key);
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
    return rows.map(toStored);
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
          data = jsonb_set(${JSON.stringify(object)}::jsonb, '{metadata,resourceVersion}', to_jsonb(${rev.toString()}::text)),
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
    return toStored(rows[0]);
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
        data: it.object,
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
    const byKey = new Map(rows.map((r) => [`${r.resource}|${r.namespace}|${r.name}`, toStored(r)]));
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
