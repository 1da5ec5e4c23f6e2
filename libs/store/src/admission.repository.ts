import type { Pool } from 'pg';
import { Prisma } from './generated/prisma/client';
import { PREPARED } from './object-rows';
import { query } from './sql';
import type { JsonObject } from './types';

/**
 * The store's queries for admission (beside the generic ObjectRepository): what a create
 * in a namespace needs to know of its quotas, its tenant's quota (found through the
 * namespace's `tenancy.berth.dev/tenant` label) and its LimitRanges, in one round trip.
 */
export class AdmissionRepository {
  constructor(private readonly pool: Pool) {}

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
}
