import { applyMergePatch } from './merge-patch';
import { apiErrorOf, frozen } from './test-helpers';

describe('applyMergePatch (RFC 7386)', () => {
  // RFC 7386, Appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('RFC example %#: %j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('applies the patch kubectl scale sends and keeps everything else', () => {
    const deployment = frozen({
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } },
    });
    expect(applyMergePatch(deployment, { spec: { replicas: 3 } })).toEqual({
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } } },
    });
  });

  it('deletes a label with null (kubectl label app-)', () => {
    const pod = frozen({ metadata: { labels: { app: 'web', tier: 'front' } } });
    expect(applyMergePatch(pod, { metadata: { labels: { tier: null } } })).toEqual({
      metadata: { labels: { app: 'web' } },
    });
  });

  it('replaces lists wholesale, even lists of containers', () => {
    const target = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } };
    expect(applyMergePatch(target, { spec: { containers: [{ name: 'a', image: 'y' }] } })).toEqual({
      spec: { containers: [{ name: 'a', image: 'y' }] },
    });
  });

  it('does not treat strategic-merge directives specially', () => {
    expect(applyMergePatch({ a: { b: 1 } }, { a: { $patch: 'delete' } })).toEqual({
      a: { b: 1, $patch: 'delete' },
    });
  });

  it('treats a missing target as nothing', () => {
    expect(applyMergePatch(undefined, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
  });

  it('never mutates its inputs and shares no structure with them', () => {
    const target = frozen({ a: { b: 1 }, list: [1, 2] });
    const patch = frozen({ a: { c: { d: 1 } }, e: [{ f: 1 }] });
    const result = applyMergePatch(target, patch) as {
      a: { b: number; c: { d: number } };
      e: { f: number }[];
      list: number[];
    };
    expect(result).toEqual({ a: { b: 1, c: { d: 1 } }, list: [1, 2], e: [{ f: 1 }] });
    result.a.c.d = 2;
    result.e[0].f = 2;
    result.list.push(3);
    expect(patch).toEqual({ a: { c: { d: 1 } }, e: [{ f: 1 }] });
    expect(target).toEqual({ a: { b: 1 }, list: [1, 2] });
  });

  it('treats __proto__ and other Object.prototype names as ordinary keys', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}}');
    const result = applyMergePatch({ toString: 'kept' }, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(result).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({ polluted: true });
    expect(result.constructor).toEqual({ x: 1 });
  });

  it('rejects a patch that is not JSON with 400', () => {
    const err = apiErrorOf(() => applyMergePatch({}, { when: new Date() }));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });
});
