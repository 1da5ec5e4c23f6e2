import { PATCH_CONTENT_TYPES, applyPatch, patchTypeOf } from './apply-patch';
import { workloadPatchSchema } from './schemas';
import { apiErrorOf } from './test-helpers';

describe('applyPatch', () => {
  const deployment = {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
    },
  };
  const schema = workloadPatchSchema();

  it('exposes the four Kubernetes patch media types', () => {
    expect(PATCH_CONTENT_TYPES).toEqual({
      json: 'application/json-patch+json',
      merge: 'application/merge-patch+json',
      strategic: 'application/strategic-merge-patch+json',
      apply: 'application/apply-patch+yaml',
    });
  });

  it('JSON patch', () => {
    const result = applyPatch(
      'application/json-patch+json',
      deployment,
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      schema,
    );
    expect(result).toEqual({ ...deployment, spec: { ...deployment.spec, replicas: 3 } });
  });

  it('merge patch replaces lists', () => {
    const result = applyPatch(
      'application/merge-patch+json',
      deployment,
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } },
      schema,
    ) as typeof deployment;
    expect(result.spec.template.spec.containers).toEqual([{ name: 'web', image: 'nginx:1.26' }]);
  });

  it('strategic merge patch merges lists by key', () => {
    const result = applyPatch(
      'application/strategic-merge-patch+json',
      deployment,
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } },
      schema,
    ) as typeof deployment;
    expect(result.spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:1.26', ports: [{ containerPort: 80 }] },
      { name: 'sidecar', image: 'busybox' },
    ]);
  });

  it('ignores parameters, case and whitespace in the media type', () => {
    expect(
      applyPatch('Application/Merge-Patch+JSON ; charset=utf-8', { a: 1 }, { b: 2 }, {}),
    ).toEqual({ a: 1, b: 2 });
    expect(patchTypeOf('application/strategic-merge-patch+json;charset=UTF-8')).toBe('strategic');
    expect(patchTypeOf('application/json')).toBeUndefined();
    expect(patchTypeOf(undefined)).toBeUndefined();
  });

  it('uses no merge keys when no schema is given', () => {
    expect(
      applyPatch(
        PATCH_CONTENT_TYPES.strategic,
        { l: [{ name: 'a', x: 1 }] },
        { l: [{ name: 'a' }] },
      ),
    ).toEqual({ l: [{ name: 'a' }] });
  });

  it.each(['application/json', 'text/plain', '', 'application/json-patch+json+yaml'])(
    'refuses %j with 415',
    (contentType) => {
      const err = apiErrorOf(() => applyPatch(contentType, {}, {}, {}));
      expect(err.code).toBe(415);
      expect(err.reason).toBe('UnsupportedMediaType');
      expect(err.message).toContain('accepted media types include: application/json-patch+json');
    },
  );

  it('refuses server-side apply with 415 and says why', () => {
    const err = apiErrorOf(() => applyPatch(PATCH_CONTENT_TYPES.apply, {}, {}, {}));
    expect(err.code).toBe(415);
    expect(err.message).toContain('server-side apply');
  });

  it.each([null, [1], 'x', 3])(
    'refuses a merge patch that is not an object (%j) with 400',
    (patch) => {
      const err = apiErrorOf(() => applyPatch(PATCH_CONTENT_TYPES.merge, {}, patch, {}));
      expect(err.code).toBe(400);
    },
  );

  it('passes errors of the patch implementations through', () => {
    expect(apiErrorOf(() => applyPatch(PATCH_CONTENT_TYPES.json, {}, {}, {})).code).toBe(400);
    expect(
      apiErrorOf(() =>
        applyPatch(PATCH_CONTENT_TYPES.json, {}, [{ op: 'test', path: '/a', value: 1 }], {}),
      ).code,
    ).toBe(422);
    expect(apiErrorOf(() => applyPatch(PATCH_CONTENT_TYPES.strategic, {}, 'x', {})).code).toBe(400);
  });
});
