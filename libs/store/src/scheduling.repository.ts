import { escapeLiteral, type Pool } from 'pg';
import { Prisma } from './generated/prisma/client';
import { ATOMIC_TIMEOUT_MS, CHANGES_CHANNEL, toStored, type Row } from './object-rows';
import { query, script } from './sql';
import type { JsonObject, StoredObject } from './types';

/**
 * The store's queries for the scheduler (beside the generic ObjectRepository): the pending
 * pods of a shard, and binding a batch of them with every node's capacity re-checked
 * under the revision lock. Also the internal pod fields the registry stores for them.
 */
export class SchedulingRepository {
  constructor(private readonly pool: Pool) {}

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
    return rows.map((r) => toStored(r));
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
        other: Object.fromEntries(Object.entries(b.other ?? {}).map(([k, v]) => [k, v.toString()])),
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
        other: Object.fromEntries(Object.entries(n.other ?? {}).map(([k, v]) => [k, v.toString()])),
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
}

/** One pod to bind (see SchedulingRepository.bindPods). */
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
