import { PatchSchema, applyStrategicMergePatch } from './strategic-merge-patch';
import {
  objectMetaPatchSchema,
  podPatchSchema,
  servicePatchSchema,
  workloadPatchSchema,
} from './schemas';
import { apiErrorOf, frozen } from './test-helpers';

type Obj = any;

const deploymentSchema = workloadPatchSchema();

/** A Deployment as the API server stores it, defaults and all. */
function storedDeployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: '5e0c3bde-0a4b-4c39-9f54-3d1f1c1c0a11',
      resourceVersion: '41',
      generation: 2,
      labels: { app: 'web', tier: 'front' },
      annotations: {
        'deployment.kubernetes.io/revision': '2',
        'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}',
      },
      finalizers: ['example.com/protect'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              resources: { limits: { cpu: '500m' } },
              terminationMessagePath: '/dev/termination-log',
            },
            { name: 'sidecar', image: 'busybox:1.36', args: ['sleep', 'infinity'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };
}

function smp(target: unknown, patch: unknown, schema: PatchSchema = deploymentSchema): Obj {
  return applyStrategicMergePatch(frozen(target), frozen(patch), schema);
}

function containersOf(d: Obj): Obj[] {
  return d.spec.template.spec.containers;
}

function names(list: Obj[]): unknown[] {
  return list.map((x) => x.name);
}

describe('applyStrategicMergePatch', () => {
  describe('the patches kubectl sends', () => {
    it('kubectl apply: a three-way patch changes the image and keeps the rest of the container', () => {
      const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":"…"}}';
      const patch = {
        metadata: {
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
        },
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
              containers: [{ image: 'nginx:1.26', name: 'web' }],
            },
          },
        },
      };
      const before = storedDeployment();
      const after = smp(before, patch);

      const expected = storedDeployment();
      expected.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] =
        lastApplied;
      expected.spec.template.spec.containers[0].image = 'nginx:1.26';
      expect(after).toEqual(expected);
      expect(JSON.stringify(after)).not.toContain('$setElementOrder');
    });

    it('kubectl apply: the brief example, with a single container', () => {
      const before = storedDeployment();
      before.spec.template.spec.containers.pop();
      const after = smp(before, {
        metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '...' } },
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }],
              containers: [{ image: 'nginx:1.26', name: 'web' }],
            },
          },
        },
      });
      expect(containersOf(after)).toEqual([
        { ...before.spec.template.spec.containers[0], image: 'nginx:1.26' },
      ]);
      expect(after.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    });

    it('kubectl apply: a container dropped from the manifest is deleted', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }],
              containers: [{ $patch: 'delete', name: 'sidecar' }],
            },
          },
        },
      });
      expect(names(containersOf(after))).toEqual(['web']);
      expect(containersOf(after)[0]).toEqual(storedDeployment().spec.template.spec.containers[0]);
    });

    it('kubectl apply: a new container goes where $setElementOrder puts it', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [
                { name: 'web' },
                { name: 'log' },
                { name: 'sidecar' },
              ],
              containers: [{ name: 'log', image: 'fluent-bit:3' }],
            },
          },
        },
      });
      expect(names(containersOf(after))).toEqual(['web', 'log', 'sidecar']);
      expect(containersOf(after)[1]).toEqual({ name: 'log', image: 'fluent-bit:3' });
    });

    it('kubectl apply: env var changed, one removed, one added, within one container', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
              containers: [
                {
                  name: 'web',
                  '$setElementOrder/env': [{ name: 'B' }, { name: 'C' }],
                  env: [
                    { name: 'B', value: '20' },
                    { name: 'C', value: '3' },
                    { $patch: 'delete', name: 'A' },
                  ],
                },
              ],
            },
          },
        },
      });
      const web = containersOf(after)[0];
      expect(web.env).toEqual([
        { name: 'B', value: '20' },
        { name: 'C', value: '3' },
      ]);
      expect(web.image).toBe('nginx:1.25');
      expect(web.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    });

    it('kubectl apply: container ports merge by containerPort', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'web',
                  '$setElementOrder/ports': [{ containerPort: 8080 }],
                  ports: [
                    { containerPort: 8080, name: 'http' },
                    { $patch: 'delete', containerPort: 80 },
                  ],
                },
              ],
            },
          },
        },
      });
      expect(containersOf(after)[0].ports).toEqual([{ containerPort: 8080, name: 'http' }]);
    });

    it('kubectl apply: a volume switching source clears the old one with $retainKeys', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            spec: {
              '$setElementOrder/volumes': [{ name: 'data' }],
              volumes: [
                { $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, name: 'data' },
              ],
            },
          },
        },
      });
      expect(after.spec.template.spec.volumes).toEqual([
        { name: 'data', configMap: { name: 'cfg' } },
      ]);
    });

    it('kubectl apply: switching the deployment strategy to Recreate drops rollingUpdate', () => {
      const after = smp(storedDeployment(), {
        spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
      });
      expect(after.spec.strategy).toEqual({ type: 'Recreate' });
    });

    it('kubectl apply: a finalizer removed from the manifest goes via $deleteFromPrimitiveList', () => {
      const before = storedDeployment();
      before.metadata.finalizers = ['a', 'b', 'c'];
      const after = smp(before, {
        metadata: {
          '$setElementOrder/finalizers': ['a', 'c', 'd'],
          '$deleteFromPrimitiveList/finalizers': ['b'],
          finalizers: ['d'],
        },
      });
      expect(after.metadata.finalizers).toEqual(['a', 'c', 'd']);
    });

    it('kubectl set image: a bare keyed patch updates the named container in place', () => {
      const after = smp(storedDeployment(), {
        spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.37' }] } } },
      });
      expect(names(containersOf(after))).toEqual(['web', 'sidecar']);
      expect(containersOf(after)[1]).toEqual({
        name: 'sidecar',
        image: 'busybox:1.37',
        args: ['sleep', 'infinity'],
      });
      expect(containersOf(after)[0]).toEqual(storedDeployment().spec.template.spec.containers[0]);
    });

    it('kubectl scale / cordon style scalar patches', () => {
      const after = smp(storedDeployment(), { spec: { replicas: 3 } });
      expect(after.spec.replicas).toBe(3);
      expect(after.spec.template).toEqual(storedDeployment().spec.template);
    });

    it('kubectl label app-: null deletes a label', () => {
      const after = smp(storedDeployment(), { metadata: { labels: { tier: null, new: 'x' } } });
      expect(after.metadata.labels).toEqual({ app: 'web', new: 'x' });
    });

    it('kubectl rollout restart: adds a template annotation', () => {
      const after = smp(storedDeployment(), {
        spec: {
          template: {
            metadata: {
              annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
            },
          },
        },
      });
      expect(after.spec.template.metadata).toEqual({
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
      });
    });

    it('kubectl patch: $patch: delete removes a container by name', () => {
      const after = smp(storedDeployment(), {
        spec: { template: { spec: { containers: [{ name: 'web', $patch: 'delete' }] } } },
      });
      expect(names(containersOf(after))).toEqual(['sidecar']);
    });

    it('deleting a container that does not exist is not an error', () => {
      const after = smp(storedDeployment(), {
        spec: { template: { spec: { containers: [{ name: 'nope', $patch: 'delete' }] } } },
      });
      expect(names(containersOf(after))).toEqual(['web', 'sidecar']);
    });
  });

  describe('maps', () => {
    it('merge recursively; null deletes; an absent key is untouched', () => {
      expect(smp({ a: { b: 1, c: 2 }, d: 3 }, { a: { b: null, e: { f: 1 } } }, {})).toEqual({
        a: { c: 2, e: { f: 1 } },
        d: 3,
      });
    });

    it('deleting a missing key is a no-op', () => {
      expect(smp({ a: 1 }, { b: null }, {})).toEqual({ a: 1 });
    });

    it('$patch: replace replaces the map', () => {
      const after = smp(storedDeployment(), {
        spec: { template: { spec: { nodeSelector: { $patch: 'replace', disk: 'ssd' } } } },
      });
      expect(after.spec.template.spec.nodeSelector).toEqual({ disk: 'ssd' });
      expect(
        smp({ m: { a: 1, b: { c: 1 } } }, { m: { $patch: 'replace', b: { d: 2 } } }, {}),
      ).toEqual({ m: { b: { d: 2 } } });
    });

    it('$patch: delete removes the map from its parent', () => {
      expect(smp({ m: { a: 1 }, n: 1 }, { m: { $patch: 'delete' } }, {})).toEqual({ n: 1 });
      expect(smp({ n: 1 }, { m: { $patch: 'delete', a: 1 } }, {})).toEqual({ n: 1 });
    });

    it('$patch: merge is the default', () => {
      expect(smp({ m: { a: 1 } }, { m: { $patch: 'merge', b: 2 } }, {})).toEqual({
        m: { a: 1, b: 2 },
      });
    });

    it('a top-level $patch: replace replaces the object, $patch: delete empties it', () => {
      expect(smp({ a: 1, b: 2 }, { $patch: 'replace', c: 3 }, {})).toEqual({ c: 3 });
      expect(smp({ a: 1 }, { $patch: 'delete' }, {})).toEqual({});
    });

    it('a schema strategy "replace" on a map replaces it', () => {
      expect(smp({ m: { a: 1 } }, { m: { b: 2 } }, { m: { strategy: 'replace' } })).toEqual({
        m: { b: 2 },
      });
    });

    it('$retainKeys clears unlisted keys before merging, with the list itself dropped', () => {
      expect(
        smp({ m: { a: 1, b: 2, c: 3 } }, { m: { $retainKeys: ['a', 'd'], d: 4 } }, {}),
      ).toEqual({ m: { a: 1, d: 4 } });
    });

    it('$retainKeys must list every key the patch sets (422)', () => {
      const err = apiErrorOf(() => smp({ m: { a: 1 } }, { m: { $retainKeys: ['a'], b: 2 } }, {}));
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.message).toContain(`patch content doesn't match retainKeys list`);
      expect(err.message).toContain('"b"');
    });

    it('$retainKeys must be a list of strings (400)', () => {
      expect(apiErrorOf(() => smp({}, { m: { $retainKeys: 'a' } }, {})).code).toBe(400);
    });

    it('a value of another type replaces the current one', () => {
      expect(smp({ a: 'x', b: { c: 1 }, c: [1] }, { a: { d: 1 }, b: [1], c: 'y' }, {})).toEqual({
        a: { d: 1 },
        b: [1],
        c: 'y',
      });
    });
  });

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
