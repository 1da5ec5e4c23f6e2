import { PatchSchema } from './strategic-merge-patch';
import { objectMetaPatchSchema } from './schemas';
import { containersOf, smp, storedDeployment } from './strategic-merge-patch-fixtures';
import { apiErrorOf } from './test-helpers';

describe('applyStrategicMergePatch', () => {
  describe('lists', () => {
    it('are replaced when the schema has no entry', () => {
      const after = smp(storedDeployment(), {
        spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } },
      });
      expect(after.spec.template.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
      expect(smp({ args: ['a', 'b'] }, { args: ['c'] }, {})).toEqual({ args: ['c'] });
    });

    it('{"$patch": "replace"} in a keyed list replaces the list', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } },
        },
      });
      expect(containersOf(after)).toEqual([{ name: 'only', image: 'x' }]);
    });

    it('{"$patch": "replace"} alone empties a keyed list', () => {
      expect(
        smp({ l: [{ k: 1 }, { k: 2 }] }, { l: [{ $patch: 'replace' }] }, { l: { mergeKey: 'k' } }),
      ).toEqual({
        l: [],
      });
    });

    it('an element carrying "$patch": "replace" replaces the list and stays in it', () => {
      expect(
        smp(
          { l: [{ k: 1, v: 1 }, { k: 2 }] },
          { l: [{ k: 1, $patch: 'replace' }] },
          { l: { mergeKey: 'k' } },
        ),
      ).toEqual({ l: [{ k: 1 }] });
    });

    it('a {"$patch": "replace"} marker in an unkeyed list is dropped', () => {
      expect(smp({ l: [1] }, { l: [{ $patch: 'replace' }, { a: 1 }] }, {})).toEqual({
        l: [{ a: 1 }],
      });
    });

    it('an element with "$patch": "merge" merges like any other', () => {
      expect(
        smp(
          { l: [{ k: 1, a: 1 }] },
          { l: [{ k: 1, $patch: 'merge', b: 2 }] },
          { l: { mergeKey: 'k' } },
        ),
      ).toEqual({ l: [{ k: 1, a: 1, b: 2 }] });
    });

    it('lists of lists are replaced and cleaned', () => {
      expect(
        smp({ m: [[0]] }, { m: [[1, { $patch: 'delete', x: 1 }], [{ a: null, b: 2 }]] }, {}),
      ).toEqual({
        m: [[1], [{ b: 2 }]],
      });
    });

    it('nested keyed lists merge by their own keys', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'web', ports: [{ containerPort: 443, name: 'https' }] }],
            },
          },
        },
      });
      expect(containersOf(after)[0].ports).toEqual([
        { containerPort: 443, name: 'https' },
        { containerPort: 80, protocol: 'TCP' },
      ]);
    });

    it('merge keys compare by JSON value: 80 and "80" differ', () => {
      expect(
        smp({ l: [{ k: 80, a: 1 }] }, { l: [{ k: '80', b: 2 }] }, { l: { mergeKey: 'k' } }).l,
      ).toEqual([
        { k: '80', b: 2 },
        { k: 80, a: 1 },
      ]);
    });

    it('a keyed list merges element-wise even when the current list is missing', () => {
      expect(
        smp(
          {},
          {
            l: [
              { k: 1, a: null, b: 1 },
              { k: 2, $patch: 'delete' },
            ],
          },
          { l: { mergeKey: 'k' } },
        ),
      ).toEqual({ l: [{ k: 1, b: 1 }] });
    });

    it('deletes every element that has the key, duplicates included', () => {
      const current = { l: [{ k: 1 }, { k: 1 }, { k: 2, v: 'a' }, { k: 3 }, { k: 3 }] };
      const patch = {
        l: [
          { k: 1, $patch: 'delete' },
          { k: 3, $patch: 'delete' },
        ],
      };
      expect(smp(current, patch, { l: { mergeKey: 'k' } })).toEqual({ l: [{ k: 2, v: 'a' }] });
    });

    it('a schema strategy "replace" wins over a merge key', () => {
      const schema: PatchSchema = { l: { mergeKey: 'k', strategy: 'replace' } };
      expect(smp({ l: [{ k: 1, a: 1 }] }, { l: [{ k: 1, b: 1 }] }, schema)).toEqual({
        l: [{ k: 1, b: 1 }],
      });
    });

    describe('of primitives with strategy "merge"', () => {
      const schema = objectMetaPatchSchema();

      it('merge as a set', () => {
        expect(
          smp(
            { metadata: { finalizers: ['a', 'b'] } },
            { metadata: { finalizers: ['b', 'c'] } },
            schema,
          ),
        ).toEqual({ metadata: { finalizers: ['a', 'b', 'c'] } });
      });

      it('drop duplicates', () => {
        expect(
          smp(
            { metadata: { finalizers: ['a', 'a'] } },
            { metadata: { finalizers: ['a', 'a'] } },
            schema,
          ),
        ).toEqual({ metadata: { finalizers: ['a'] } });
      });

      it('$deleteFromPrimitiveList removes values', () => {
        expect(
          smp(
            { metadata: { finalizers: ['a', 'b', 'c', 'b'] } },
            { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'x'] } },
            schema,
          ),
        ).toEqual({ metadata: { finalizers: ['a', 'c'] } });
      });

      it('$deleteFromPrimitiveList never creates the list', () => {
        expect(
          smp(
            { metadata: {} },
            { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
            schema,
          ),
        ).toEqual({ metadata: {} });
      });

      it('$deleteFromPrimitiveList also works on a list without merge strategy', () => {
        expect(smp({ args: ['a', 'b'] }, { '$deleteFromPrimitiveList/args': ['a'] }, {})).toEqual({
          args: ['b'],
        });
      });

      it('reject objects without a merge key', () => {
        const err = apiErrorOf(() => smp({}, { metadata: { finalizers: [{ a: 1 }] } }, schema));
        expect(err.code).toBe(400);
        expect(err.message).toContain('need a merge key');
      });
    });
  });

  describe('element order (as Kubernetes orders merged lists)', () => {
    const schema: PatchSchema = { l: { mergeKey: 'name' }, ints: { strategy: 'merge' } };
    const byName = (...n: unknown[]) => n.map((name) => ({ name }));

    it('keeps the current order when the patch only changes elements', () => {
      const after = smp({ l: byName(1, 2, 3) }, { l: [{ name: 3, v: 'c' }] }, schema);
      expect(after.l).toEqual([{ name: 1 }, { name: 2 }, { name: 3, v: 'c' }]);
    });

    it('takes the relative order of the patch', () => {
      const current = { l: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] };
      expect(
        smp(
          current,
          {
            l: [
              { name: 3, value: 'c' },
              { name: 1, value: 'a' },
              { name: 2, other: 'x' },
            ],
          },
          schema,
        ).l,
      ).toEqual([
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
        { name: 2, value: 'b', other: 'x' },
      ]);
      expect(
        smp(
          current,
          {
            l: [
              { name: 3, value: 'c' },
              { name: 1, value: 'a' },
            ],
          },
          schema,
        ).l,
      ).toEqual([
        { name: 2, value: 'b' },
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
      ]);
    });

    it('puts a new element without $setElementOrder in front (as Kubernetes does)', () => {
      expect(smp({ l: byName(1, 2) }, { l: byName(3) }, schema).l).toEqual(byName(3, 1, 2));
      expect(smp({ l: byName(1, 2) }, { l: byName(2, 3) }, schema).l).toEqual(byName(1, 2, 3));
    });

    it('orders primitive lists the same way', () => {
      expect(smp({ ints: [1, 2, 3] }, { ints: [3, 1, 2] }, schema).ints).toEqual([3, 1, 2]);
      expect(smp({ ints: [1, 2, 3] }, { ints: [3, 1] }, schema).ints).toEqual([2, 3, 1]);
    });

    it('$setElementOrder reorders without changing content', () => {
      const current = { l: [{ name: 1 }, { name: 3, v: 3 }, { name: 4, v: 4 }, { name: 2, v: 2 }] };
      expect(smp(current, { '$setElementOrder/l': byName(4, 2, 3, 1) }, schema).l).toEqual([
        { name: 4, v: 4 },
        { name: 2, v: 2 },
        { name: 3, v: 3 },
        { name: 1 },
      ]);
    });

    it('$setElementOrder keeps server-only elements near their neighbours', () => {
      const order = { '$setElementOrder/l': byName(2, 1, 4, 3) };
      expect(smp({ l: byName(1, 2, 9, 3, 4) }, order, schema).l).toEqual(byName(2, 1, 9, 4, 3));
      expect(smp({ l: byName(1, 2, 7, 9, 8, 3, 4) }, order, schema).l).toEqual(
        byName(2, 1, 7, 9, 8, 4, 3),
      );
      expect(
        smp({ l: byName(1, 3, 4, 2, 9) }, { '$setElementOrder/l': byName(4, 2, 3, 1) }, schema).l,
      ).toEqual(byName(4, 2, 3, 1, 9));
    });

    it('$setElementOrder places added elements', () => {
      const after = smp(
        {
          l: [
            { name: 1, other: 'a' },
            { name: 2, value: 2, other: 'b' },
          ],
        },
        {
          '$setElementOrder/l': byName(4, 1, 2, 3),
          l: [
            { name: 4, value: 4 },
            { name: 3, value: 3 },
          ],
        },
        schema,
      );
      expect(after.l).toEqual([
        { name: 4, value: 4 },
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
        { name: 3, value: 3 },
      ]);
    });

    it('$setElementOrder may name elements that do not exist', () => {
      expect(
        smp(
          { l: byName(1, 3) },
          {
            '$setElementOrder/l': byName(3, 2, 1),
            l: [
              { name: 3, v: 3 },
              { name: 1, v: 1 },
            ],
          },
          schema,
        ).l,
      ).toEqual([
        { name: 3, v: 3 },
        { name: 1, v: 1 },
      ]);
      expect(smp({ ints: [1, 3] }, { '$setElementOrder/ints': [3, 2, 1] }, schema).ints).toEqual([
        3, 1,
      ]);
    });

    it('$setElementOrder with duplicate keys groups them', () => {
      const current = {
        l: [{ name: 1 }, { name: 2, v: 'dup1' }, { name: 3 }, { name: 2, v: 'dup2' }, { name: 4 }],
      };
      expect(smp(current, { '$setElementOrder/l': byName(2, 1, 4, 3, 2) }, schema).l).toEqual([
        { name: 2, v: 'dup1' },
        { name: 2, v: 'dup2' },
        { name: 1 },
        { name: 4 },
        { name: 3 },
      ]);
    });

    it('$setElementOrder for a list that exists nowhere is ignored', () => {
      expect(smp({ a: 1 }, { '$setElementOrder/l': byName(1) }, schema)).toEqual({ a: 1 });
    });

    it('$setElementOrder next to a null list lets the null delete it', () => {
      expect(smp({ l: byName(1) }, { '$setElementOrder/l': byName(1), l: null }, schema)).toEqual(
        {},
      );
    });

    it('the patch list must follow $setElementOrder (400)', () => {
      const err = apiErrorOf(() =>
        smp(
          { l: byName(1, 3, 2) },
          {
            '$setElementOrder/l': byName(1, 2, 3),
            l: [
              { name: 3, v: 3 },
              { name: 1, v: 1 },
            ],
          },
          schema,
        ),
      );
      expect(err.code).toBe(400);
      expect(err.message).toContain(`doesn't match $setElementOrder/l`);
    });

    it('$setElementOrder entries need the merge key (400)', () => {
      expect(
        apiErrorOf(() => smp({ l: [] }, { '$setElementOrder/l': [{ id: 1 }] }, schema)).code,
      ).toBe(400);
      expect(apiErrorOf(() => smp({ l: [] }, { '$setElementOrder/l': 'x' }, schema)).code).toBe(
        400,
      );
    });
  });
});
