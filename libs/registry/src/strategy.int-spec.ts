import {
  age,
  ageColumn,
  column,
  defineResource,
  errors,
  findResource,
  nameColumn,
  objectName,
  typeMeta,
  type KubeObject,
} from '@berth/core';
import { AdmissionRepository, Database, ObjectRepository } from '@berth/store';
import { createTestDatabase, type TestDatabase } from '@berth/store/testing';
import { z } from 'zod';
import { Registry } from './registry';
import { BUILTIN_STRATEGIES } from './strategies';
import { defineStrategy } from './strategy';

const WRITE = { dryRun: false, fieldValidation: 'Strict' as const };
const DRY_RUN = { ...WRITE, dryRun: true };

/**
 * A kind the registry has never heard of, added the way every kind is: a definition and a
 * strategy, with no registry edit. A Widget has a size; creating one takes a ticket number
 * from a Counter written in the same transaction; growing one past 10 needs an approval
 * annotation, checked in the updating transaction; DELETE of a `keep` widget only labels it.
 */
const widgets = defineResource({
  group: 'test.berth.dev',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  shortNames: [],
  hasStatus: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  schema: z.strictObject({
    ...typeMeta('test.berth.dev/v1', 'Widget'),
    spec: z.strictObject({ size: z.number().int().optional() }).optional(),
    status: z.strictObject({ ticket: z.number().int().optional() }).optional(),
  }),
  validate: (o) => {
    const size = (o.spec as { size?: number } | undefined)?.size ?? 0;
    return size < 0
      ? [{ reason: 'FieldValueInvalid', field: 'spec.size', message: 'negative' }]
      : [];
  },
  selectableFields: (o) => ({ 'spec.size': String((o.spec as { size?: number })?.size ?? 0) }),
  columns: [nameColumn(), column('Size', 'size', { type: 'integer' }), ageColumn()],
  row: (o, now) => [objectName(o), (o.spec as { size?: number })?.size ?? 0, age(o, now)],
});

const COUNTER = { resource: 'counters.test.berth.dev', namespace: '', name: 'tickets' };
const seen: string[] = [];

const widgetStrategy = defineStrategy(widgets, {
  prepareForCreate(o) {
    seen.push('prepareForCreate');
    o.status = { ticket: 0 };
  },
  validate(_ctx, next) {
    seen.push('validate');
    if ((next.spec as { size?: number } | undefined)?.size === 13)
      throw errors.invalid('Widget', next.metadata.name ?? '', [
        { reason: 'FieldValueForbidden', field: 'spec.size', message: 'unlucky' },
      ]);
  },
  inCreateTransaction: (_ctx, widget) => ({
    async run(tx) {
      seen.push('inCreateTransaction');
      const counter = await tx.get(COUNTER);
      const ticket = ((counter?.object.spec as { next?: number } | undefined)?.next ?? 0) + 1;
      const spec = { next: ticket };
      if (counter)
        await tx.update(COUNTER, { ...counter.object, spec }, {}, counter.resourceVersion);
      else
        await tx.create(COUNTER, crypto.randomUUID(), { metadata: { name: 'tickets' }, spec }, {});
      widget.status = { ticket };
    },
    async dryRun() {
      seen.push('dryRun');
    },
  }),
  inUpdateTransaction(_ctx, next, current) {
    const size = (o: KubeObject) => (o.spec as { size?: number } | undefined)?.size ?? 0;
    if (size(next) <= 10 || size(current) > 10) return undefined;
    return {
      async run() {
        seen.push('inUpdateTransaction');
        if (next.metadata.annotations?.approved !== 'yes')
          throw errors.forbidden(
            `widget "${next.metadata.name}" may grow past 10 only when approved`,
          );
      },
    };
  },
  beforeDelete(current) {
    if (current.metadata.labels?.keep !== 'true') return undefined;
    return {
      update: (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { keep: 'deleted' } } }),
    };
  },
  storedFields: (o) => ({
    '__size.doubled': String(2 * ((o.spec as { size?: number })?.size ?? 0)),
  }),
});

describe('a kind added by a definition and a strategy alone (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: ObjectRepository;
  let registry: Registry;

  beforeAll(async () => {
    db = await createTestDatabase('berth_strategy');
    database = new Database(db.url, 4);
    repo = new ObjectRepository(database.pool);
    registry = new Registry(repo, new AdmissionRepository(database.pool), {
      strategies: BUILTIN_STRATEGIES.with(widgetStrategy),
    });
    await registry.create(
      findResource('', 'v1', 'namespaces')!,
      '',
      { metadata: { name: 'w' } },
      WRITE,
    );
  });
  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });
  beforeEach(() => seen.splice(0));

  const widget = (name: string, size: number, extra: Partial<KubeObject['metadata']> = {}) => ({
    apiVersion: 'test.berth.dev/v1',
    kind: 'Widget',
    metadata: { name, ...extra },
    spec: { size },
    status: { ticket: 99 },
  });

  it('runs the create hooks, the step in the creating transaction, and stores its fields', async () => {
    const a = (await registry.create(widgets, 'w', widget('a', 1), WRITE)).object;
    const b = (await registry.create(widgets, 'w', widget('b', 2), WRITE)).object;
    expect(seen).toEqual([
      'prepareForCreate',
      'validate',
      'inCreateTransaction',
      'prepareForCreate',
      'validate',
      'inCreateTransaction',
    ]);
    expect([a.status, b.status]).toEqual([{ ticket: 1 }, { ticket: 2 }]);
    expect(a.metadata.uid).toBeDefined();
    const stored = await repo.get({
      resource: 'widgets.test.berth.dev',
      namespace: 'w',
      name: 'b',
    });
    expect(stored?.object).toMatchObject({ spec: { size: 2 }, status: { ticket: 2 } });
    const list = await registry.list(widgets, 'w', { fieldSelector: 'spec.size=2' });
    expect(list.items.map((i) => i.metadata.name)).toEqual(['b']);
    // Stored fields are the store's own, never selectable.
    expect(() => registry.parseFields(widgets, '__size.doubled=4')).toThrow(
      expect.objectContaining({ reason: 'BadRequest' }),
    );
  });

  it('a dry run runs the step’s dry run, and a refusal writes nothing', async () => {
    const dry = await registry.create(widgets, 'w', widget('c', 3), DRY_RUN);
    expect(seen).toEqual(['prepareForCreate', 'validate', 'dryRun']);
    expect(dry.object.status).toEqual({ ticket: 0 });
    await expect(registry.create(widgets, 'w', widget('d', 13), WRITE)).rejects.toMatchObject({
      code: 422,
      details: { causes: [expect.objectContaining({ field: 'spec.size', message: 'unlucky' })] },
    });
    await expect(registry.get(widgets, 'w', 'c')).rejects.toMatchObject({ code: 404 });
    await expect(registry.get(widgets, 'w', 'd')).rejects.toMatchObject({ code: 404 });
  });

  it('runs the update step in the updating transaction, refusing without writing', async () => {
    const grow = (size: number, annotations?: Record<string, string>) =>
      registry.patch(
        widgets,
        'w',
        'a',
        'application/merge-patch+json',
        { metadata: annotations ? { annotations } : {}, spec: { size } },
        '',
        WRITE,
      );
    await grow(5);
    expect(seen).toEqual(['validate']);
    const before = await registry.get(widgets, 'w', 'a');
    await expect(grow(20)).rejects.toMatchObject({ code: 403 });
    expect((await registry.get(widgets, 'w', 'a')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
    const grown = (await grow(20, { approved: 'yes' })).object;
    expect(grown.spec).toEqual({ size: 20 });
    expect(grown.metadata.generation).toBe(3);
    expect(seen.filter((s) => s === 'inUpdateTransaction')).toHaveLength(2);
  });

  it('lets the strategy replace DELETE, and deletes the others as usual', async () => {
    await registry.create(widgets, 'w', widget('kept', 1, { labels: { keep: 'true' } }), WRITE);
    const answered = await registry.delete(widgets, 'w', 'kept', {}, WRITE);
    expect(answered.metadata.labels).toEqual({ keep: 'deleted' });
    expect((await registry.get(widgets, 'w', 'kept')).metadata.labels).toEqual({ keep: 'deleted' });
    await registry.delete(widgets, 'w', 'b', {}, WRITE);
    await expect(registry.get(widgets, 'w', 'b')).rejects.toMatchObject({ code: 404 });
  });

  it('is unknown to a registry built without the strategy (the definition alone works)', async () => {
    const plain = new Registry(repo, new AdmissionRepository(database.pool));
    const made = (await plain.create(widgets, 'w', widget('plain', 1), WRITE)).object;
    expect(made.status).toBeUndefined();
    expect(seen).toEqual([]);
  });
});
