import { PatchSchema, applyStrategicMergePatch } from './strategic-merge-patch';
import { podPatchSchema, servicePatchSchema } from './schemas';
import {
  containersOf,
  deploymentSchema,
  names,
  smp,
  storedDeployment,
  type Obj,
} from './strategic-merge-patch-fixtures';
import { apiErrorOf, frozen } from './test-helpers';

describe('applyStrategicMergePatch', () => {
  describe('lists the schema does not know, patched by kubectl', () => {
    it('merge when $setElementOrder names their merge key', () => {
      const after = smp(
        {
          spec: {
            things: [
              { id: 'a', v: 1 },
              { id: 'b', v: 2 },
            ],
          },
        },
        {
          spec: {
            '$setElementOrder/things': [{ id: 'a' }, { id: 'b' }],
            things: [{ id: 'b', v: 3 }],
          },
        },
        {},
      );
      expect(after.spec.things).toEqual([
        { id: 'a', v: 1 },
        { id: 'b', v: 3 },
      ]);
    });

    it('merge when a $patch: delete element names their merge key', () => {
      expect(
        smp(
          { things: [{ id: 'a' }, { id: 'b' }] },
          { things: [{ id: 'a', $patch: 'delete' }] },
          {},
        ),
      ).toEqual({ things: [{ id: 'b' }] });
    });

    it('merge as a set when $setElementOrder lists primitives', () => {
      expect(
        smp({ tags: ['x', 'y'] }, { '$setElementOrder/tags': ['x', 'y', 'z'], tags: ['z'] }, {}),
      ).toEqual({ tags: ['x', 'y', 'z'] });
    });
  });

  describe('directives never reach the result', () => {
    it('not from a subtree that is added whole', () => {
      const schema: PatchSchema = {
        'spec.list': { mergeKey: 'name' },
        'spec.list[].inner': { mergeKey: 'k' },
        'spec.set': { strategy: 'merge' },
      };
      const after = smp(
        {},
        {
          spec: {
            '$setElementOrder/list': [{ name: 'a' }],
            list: [
              {
                name: 'a',
                $retainKeys: ['name', 'inner', 'm'],
                inner: [
                  { k: 1, x: null },
                  { k: 2, $patch: 'delete' },
                ],
                m: { $patch: 'replace', z: 1 },
              },
              { name: 'gone', $patch: 'delete' },
            ],
            '$deleteFromPrimitiveList/set': ['x'],
            set: ['y'],
            gone: { $patch: 'delete' },
            replaced: { $patch: 'replace', keep: { $retainKeys: ['q'], q: 1 } },
            plain: [{ $patch: 'delete', v: 1 }, { w: { $patch: 'replace', u: 1 } }],
          },
        },
        schema,
      );
      expect(after).toEqual({
        spec: {
          list: [{ name: 'a', inner: [{ k: 1 }], m: { z: 1 } }],
          set: ['y'],
          replaced: { keep: { q: 1 } },
          plain: [{ w: { u: 1 } }],
        },
      });
      expect(JSON.stringify(after)).not.toMatch(
        /\$(patch|retainKeys|setElementOrder|deleteFromPrimitiveList)/,
      );
    });

    it('nulls inside added maps are dropped', () => {
      expect(smp({}, { a: { b: null, c: { d: null, e: 1 } } }, {})).toEqual({ a: { c: { e: 1 } } });
    });

    it('fields named like Object.prototype members are ordinary data', () => {
      const patch = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": [1], "toString": {"a": 1}}',
      );
      const after = applyStrategicMergePatch({ constructor: [0] }, patch, {}) as Obj;
      expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
      expect(({} as Obj).polluted).toBeUndefined();
      expect(Object.keys(after).sort()).toEqual(['__proto__', 'constructor', 'toString']);
      expect(after.constructor).toEqual([1]);
    });

    it('other $-prefixed keys are ordinary data (CRD schemas use $ref)', () => {
      expect(smp({ s: { $ref: '#/a' } }, { s: { $schema: 'x' } }, {})).toEqual({
        s: { $ref: '#/a', $schema: 'x' },
      });
    });
  });

  describe('malformed patches (400)', () => {
    it.each([
      ['a patch that is not an object', ['a'], 'must be a JSON object'],
      [
        'an unknown map directive',
        { m: { $patch: 'frobnicate' } },
        'unknown directive "$patch": "frobnicate" at "m"',
      ],
      ['a non-string directive', { m: { $patch: 1 } }, 'unknown directive'],
      ['an unknown list directive', { l: [{ name: 'a', $patch: 'frob' }] }, 'in item 0 of "l"'],
      [
        'a keyed item that is not an object',
        { l: ['a'] },
        'merges its items by "name", so they must be objects',
      ],
      ['a keyed item without its key', { l: [{ image: 'x' }] }, 'lacks its merge key "name"'],
      [
        'a delete without the key',
        { l: [{ $patch: 'delete' }] },
        'has "$patch": "delete" but no merge key "name"',
      ],
      ['a directive without a field', { '$setElementOrder/': [] }, 'names no field'],
      [
        'a bad deletion list',
        { '$deleteFromPrimitiveList/f': [{ a: 1 }] },
        'must be a list of primitive values',
      ],
      [
        '$setElementOrder beside a non-list',
        { '$setElementOrder/l': [{ name: 'a' }], l: { name: 'a' } },
        'orders a list',
      ],
    ])('%s', (_name, patch, message) => {
      const err = apiErrorOf(() =>
        applyStrategicMergePatch({ l: [{ name: 'a' }] }, patch, { l: { mergeKey: 'name' } }),
      );
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message).toContain(message);
    });

    it('a target that is not an object is a 400', () => {
      expect(apiErrorOf(() => applyStrategicMergePatch([1], {}, {})).code).toBe(400);
    });

    it('a missing target is an empty object', () => {
      expect(applyStrategicMergePatch(undefined, { a: { b: null, c: 1 } }, {})).toEqual({
        a: { c: 1 },
      });
      expect(applyStrategicMergePatch(null, { a: 1 }, {})).toEqual({ a: 1 });
    });
  });

  describe('purity', () => {
    it('never mutates the target, the patch or the schema', () => {
      const target = frozen(storedDeployment());
      const patch = frozen({
        metadata: { labels: { tier: null }, finalizers: ['x'] },
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
              containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }],
              volumes: [{ $patch: 'replace' }],
            },
          },
        },
      });
      const schema = frozen(deploymentSchema);
      const after = applyStrategicMergePatch(target, patch, schema) as Obj;
      expect(names(containersOf(after))).toEqual(['sidecar', 'web']);
      expect(containersOf(after)[1].env).toEqual([{ name: 'B', value: '2' }]);
      expect(after.spec.template.spec.volumes).toEqual([]);
      expect(target).toEqual(storedDeployment());
    });

    it('shares no objects with its inputs', () => {
      const target = storedDeployment();
      const patch = {
        spec: { template: { spec: { containers: [{ name: 'new', args: ['a'] }] } } },
      };
      const after = applyStrategicMergePatch(target, patch, deploymentSchema) as Obj;
      containersOf(after)[0].args.push('b');
      containersOf(after)[1].env.push({ name: 'Z' });
      after.metadata.labels.app = 'changed';
      expect(patch.spec.template.spec.containers[0].args).toEqual(['a']);
      expect(target).toEqual(storedDeployment());
    });
  });

  describe('other kinds', () => {
    it('a Service merges its ports by port', () => {
      const service = {
        metadata: { name: 'web' },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.0.0.10',
          ports: [
            { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
            { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
          ],
        },
      };
      const after = smp(
        service,
        {
          spec: {
            '$setElementOrder/ports': [{ port: 80 }],
            ports: [
              { port: 80, targetPort: 9090 },
              { $patch: 'delete', port: 443 },
            ],
          },
        },
        servicePatchSchema(),
      );
      expect(after.spec).toEqual({
        type: 'ClusterIP',
        clusterIP: '10.0.0.10',
        ports: [{ name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' }],
      });
    });

    it('ownerReferences merge by uid', () => {
      const pod = {
        metadata: {
          ownerReferences: [
            { uid: 'u1', kind: 'ReplicaSet', name: 'a', controller: true },
            { uid: 'u2', kind: 'Thing', name: 'b' },
          ],
        },
      };
      const after = smp(
        pod,
        {
          metadata: {
            ownerReferences: [
              { uid: 'u1', controller: false },
              { uid: 'u2', $patch: 'delete' },
            ],
          },
        },
        podPatchSchema(),
      );
      expect(after.metadata.ownerReferences).toEqual([
        { uid: 'u1', kind: 'ReplicaSet', name: 'a', controller: false },
      ]);
    });

    it('a Pod status patch merges conditions by type (kubelet style)', () => {
      const pod = {
        status: {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: 'False' },
          ],
        },
      };
      const after = smp(
        pod,
        { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
        podPatchSchema(),
      );
      expect(after.status).toEqual({
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      });
    });
  });
});
