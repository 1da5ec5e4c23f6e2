import { containersOf, names, smp, storedDeployment } from './strategic-merge-patch-fixtures';
import { apiErrorOf } from './test-helpers';

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
});
