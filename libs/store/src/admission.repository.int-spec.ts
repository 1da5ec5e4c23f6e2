import { randomUUID } from 'node:crypto';
import { AdmissionRepository } from './admission.repository';
import { Database } from './database';
import { ObjectRepository } from './object.repository';
import { createTestDatabase, type TestDatabase } from './testing/test-database';
import type { JsonObject } from './types';

const TENANT_LABEL = 'tenancy.berth.dev/tenant';

describe('AdmissionRepository (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;
  let admission: AdmissionRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 20);
    repo = new ObjectRepository(database.pool);
    admission = new AdmissionRepository(database.pool);
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  const namespace = (name: string, tenant?: string) =>
    repo.create(
      { resource: 'namespaces', namespace: '', name },
      randomUUID(),
      {
        metadata: { name, ...(tenant ? { labels: { [TENANT_LABEL]: tenant } } : {}) },
      },
      {},
    );
  const tenant = (name: string, hard?: Record<string, string>) =>
    repo.create(
      { resource: 'tenants.tenancy.berth.dev', namespace: '', name },
      randomUUID(),
      {
        metadata: { name },
        spec: hard ? { quota: { hard } } : {},
      },
      {},
    );
  const inNamespace = (resource: string, ns: string, name: string, object: JsonObject = {}) =>
    repo.create(
      { resource, namespace: ns, name },
      randomUUID(),
      { metadata: { name }, ...object },
      {},
    );

  it('applies a quota when the namespace has a ResourceQuota or its tenant a tenant quota', async () => {
    await namespace('plain');
    await namespace('with-rq');
    await inNamespace('resourcequotas', 'with-rq', 'rq');
    await tenant('capped', { 'requests.cpu': '4' });
    await tenant('uncapped', {});
    await tenant('no-quota');
    await namespace('of-capped', 'capped');
    await namespace('of-uncapped', 'uncapped');
    await namespace('of-no-quota', 'no-quota');
    await namespace('of-missing', 'missing');

    expect(await admission.quotaApplies('plain')).toBe(false);
    expect(await admission.quotaApplies('with-rq')).toBe(true);
    expect(await admission.quotaApplies('of-capped')).toBe(true);
    expect(await admission.quotaApplies('of-uncapped')).toBe(false);
    expect(await admission.quotaApplies('of-no-quota')).toBe(false);
    expect(await admission.quotaApplies('of-missing')).toBe(false);
    expect(await admission.quotaApplies('no-such-namespace')).toBe(false);
  });

  it("returns the namespace's LimitRanges in name order only when asked", async () => {
    await namespace('limited');
    await inNamespace('limitranges', 'limited', 'lr-b', { spec: { limits: [{ type: 'Pod' }] } });
    await inNamespace('limitranges', 'limited', 'lr-a', { spec: { limits: [] } });
    await inNamespace('limitranges', 'plain', 'elsewhere');

    const asked = await admission.admissionContext('limited', true);
    expect(asked.quotaApplies).toBe(false);
    expect(asked.limitRanges.map((r) => r.metadata?.name)).toEqual(['lr-a', 'lr-b']);
    expect(asked.limitRanges[1].spec).toEqual({ limits: [{ type: 'Pod' }] });
    expect((await admission.admissionContext('limited', false)).limitRanges).toEqual([]);
  });
});
