import {
  MAX_JSON_PATCH_OPERATIONS,
  applyJsonPatch,
  formatPointer,
  parsePointer,
} from './json-patch';
import { apiErrorOf, frozen } from './test-helpers';

describe('applyJsonPatch (RFC 6902)', () => {
  describe('RFC 6902 appendix A', () => {
    it.each([
      [
        'A.1 add an object member',
        { foo: 'bar' },
        [{ op: 'add', path: '/baz', value: 'qux' }],
        { baz: 'qux', foo: 'bar' },
      ],
      [
        'A.2 add an array element',
        { foo: ['bar', 'baz'] },
        [{ op: 'add', path: '/foo/1', value: 'qux' }],
        { foo: ['bar', 'qux', 'baz'] },
      ],
      [
        'A.3 remove an object member',
        { baz: 'qux', foo: 'bar' },
        [{ op: 'remove', path: '/baz' }],
        { foo: 'bar' },
      ],
      [
        'A.4 remove an array element',
        { foo: ['bar', 'qux', 'baz'] },
        [{ op: 'remove', path: '/foo/1' }],
        { foo: ['bar', 'baz'] },
      ],
      [
        'A.5 replace a value',
        { baz: 'qux', foo: 'bar' },
        [{ op: 'replace', path: '/baz', value: 'boo' }],
        { baz: 'boo', foo: 'bar' },
      ],
      [
        'A.6 move a value',
        { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
        [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
        { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
      ],
      [
        'A.7 move an array element',
        { foo: ['all', 'grass', 'cows', 'eat'] },
        [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
        { foo: ['all', 'cows', 'eat', 'grass'] },
      ],
      [
        'A.8 test a value (success)',
        { baz: 'qux', foo: ['a', 2, 'c'] },
        [
          { op: 'test', path: '/baz', value: 'qux' },
          { op: 'test', path: '/foo/1', value: 2 },
        ],
        { baz: 'qux', foo: ['a', 2, 'c'] },
      ],
      [
        'A.10 add a nested member object',
        { foo: 'bar' },
        [{ op: 'add', path: '/child', value: { grandchild: {} } }],
        { foo: 'bar', child: { grandchild: {} } },
      ],
      [
        'A.11 ignore unrecognised members',
        { foo: 'bar' },
        [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
        { foo: 'bar', baz: 'qux' },
      ],
      [
        'A.14 ~ escape ordering',
        { '/': 9, '~1': 10 },
        [{ op: 'test', path: '/~01', value: 10 }],
        { '/': 9, '~1': 10 },
      ],
      [
        'A.16 add an array value',
        { foo: ['bar'] },
        [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
        { foo: ['bar', ['abc', 'def']] },
      ],
    ])('%s', (_name, doc, ops, expected) => {
      expect(applyJsonPatch(frozen(doc), frozen(ops))).toEqual(expected);
    });

    it('A.9 test a value (error) is a 422 naming the operation', () => {
      const err = apiErrorOf(() =>
        applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]),
      );
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.message).toContain('operation 0 (test "/baz")');
      expect(err.message).toContain('value at "/baz" is "qux", expected "bar"');
      expect(err.toStatus().details?.causes).toEqual([
        expect.objectContaining({ field: '/baz', reason: 'FieldValueInvalid' }),
      ]);
    });

    it('A.12 adding to a nonexistent target fails', () => {
      const err = apiErrorOf(() =>
        applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]),
      );
      expect(err.code).toBe(422);
      expect(err.message).toContain('path "/baz/bat" does not exist');
    });

    it('A.15 comparing strings and numbers fails the test', () => {
      const err = apiErrorOf(() =>
        applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]),
      );
      expect(err.code).toBe(422);
    });
  });

  describe('kubectl and client use', () => {
    const deployment = frozen({
      metadata: { name: 'web', labels: { app: 'web', 'app.kubernetes.io/name': 'web' } },
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      },
    });

    it('replaces a container image by index', () => {
      const result = applyJsonPatch(deployment, [
        { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'web' },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.26' },
      ]);
      expect(result).toEqual({
        ...deployment,
        spec: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } },
        },
      });
    });

    it('addresses keys containing "/" with ~1', () => {
      const result = applyJsonPatch(deployment, [
        { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' },
      ]) as typeof deployment;
      expect(result.metadata.labels).toEqual({ app: 'web' });
    });

    it('appends with "-"', () => {
      const result = applyJsonPatch(deployment, [
        {
          op: 'add',
          path: '/spec/template/spec/containers/-',
          value: { name: 'side', image: 'busybox' },
        },
      ]) as typeof deployment;
      expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual(['web', 'side']);
    });

    it('adds at the end index and at the front', () => {
      expect(applyJsonPatch([1, 2], [{ op: 'add', path: '/2', value: 3 }])).toEqual([1, 2, 3]);
      expect(applyJsonPatch([1, 2], [{ op: 'add', path: '/0', value: 0 }])).toEqual([0, 1, 2]);
    });

    it('add replaces an existing member', () => {
      expect(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/a', value: 2 }])).toEqual({ a: 2 });
    });

    it('test compares objects structurally, regardless of key order', () => {
      const doc = { a: { x: 1, y: [1, { z: null }] } };
      expect(
        applyJsonPatch(doc, [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }]),
      ).toEqual(doc);
      expect(
        apiErrorOf(() =>
          applyJsonPatch(doc, [{ op: 'test', path: '/a/y', value: [{ z: null }, 1] }]),
        ).code,
      ).toBe(422);
    });

    it('test of a missing path fails', () => {
      const err = apiErrorOf(() => applyJsonPatch({}, [{ op: 'test', path: '/a', value: null }]));
      expect(err.code).toBe(422);
      expect(err.message).toContain('does not exist');
    });

    it('test with value null matches an explicit null', () => {
      expect(applyJsonPatch({ a: null }, [{ op: 'test', path: '/a', value: null }])).toEqual({
        a: null,
      });
    });
  });

  describe('the whole document', () => {
    it('add and replace at "" replace the document', () => {
      expect(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }])).toEqual({
        b: 2,
      });
      expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: [1] }])).toEqual([1]);
    });

    it('test at "" compares the document', () => {
      expect(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }])).toEqual({
        a: 1,
      });
    });

    it('copy from "" nests a copy of the document', () => {
      expect(applyJsonPatch({ a: 1 }, [{ op: 'copy', from: '', path: '/b' }])).toEqual({
        a: 1,
        b: { a: 1 },
      });
    });

    it('removing the document is refused', () => {
      expect(apiErrorOf(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '' }])).code).toBe(
        422,
      );
    });
  });

  describe('move and copy', () => {
    it('copy deep-copies, so later operations do not affect the source', () => {
      const result = applyJsonPatch({ a: { b: [1] } }, [
        { op: 'copy', from: '/a', path: '/c' },
        { op: 'add', path: '/c/b/-', value: 2 },
      ]);
      expect(result).toEqual({ a: { b: [1] }, c: { b: [1, 2] } });
    });

    it('move to the same path is a no-op, but the path must exist', () => {
      expect(applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/a' }])).toEqual({ a: 1 });
      expect(
        apiErrorOf(() => applyJsonPatch({}, [{ op: 'move', from: '/a', path: '/a' }])).code,
      ).toBe(422);
    });

    it('move into its own child is refused', () => {
      const err = apiErrorOf(() =>
        applyJsonPatch({ a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]),
      );
      expect(err.code).toBe(422);
      expect(err.message).toContain('its own child');
    });

    it('move from a missing path fails', () => {
      expect(
        apiErrorOf(() => applyJsonPatch({}, [{ op: 'move', from: '/x', path: '/y' }])).code,
      ).toBe(422);
    });

    it('move within an array uses the index after removal', () => {
      expect(applyJsonPatch([1, 2, 3], [{ op: 'move', from: '/0', path: '/-' }])).toEqual([
        2, 3, 1,
      ]);
    });
  });

  describe('failures that depend on the object (422)', () => {
    it.each([
      ['remove a missing member', { a: 1 }, { op: 'remove', path: '/b' }, 'does not exist'],
      [
        'replace a missing member',
        { a: 1 },
        { op: 'replace', path: '/b', value: 1 },
        'does not exist',
      ],
      ['add past the end', { a: [1] }, { op: 'add', path: '/a/2', value: 1 }, 'out of range'],
      ['remove past the end', { a: [1] }, { op: 'remove', path: '/a/1' }, 'out of range'],
      [
        'replace with "-"',
        { a: [1] },
        { op: 'replace', path: '/a/-', value: 1 },
        '"-" may only be used',
      ],
      ['a leading zero', { a: [1, 2] }, { op: 'remove', path: '/a/01' }, 'not a valid array index'],
      [
        'a negative index',
        { a: [1, 2] },
        { op: 'remove', path: '/a/-1' },
        'not a valid array index',
      ],
      [
        'a child of a string',
        { a: 'x' },
        { op: 'add', path: '/a/b', value: 1 },
        'its parent is a string',
      ],
      ['an inherited name', {}, { op: 'replace', path: '/toString', value: 1 }, 'does not exist'],
    ])('%s', (_name, doc, op, message) => {
      const err = apiErrorOf(() => applyJsonPatch(doc, [op]));
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.message).toContain(message);
    });

    it('is atomic: a failing operation leaves the target untouched', () => {
      const doc = frozen({ a: 1, list: [1, 2] });
      const ops = frozen([
        { op: 'replace', path: '/a', value: 2 },
        { op: 'remove', path: '/list/0' },
        { op: 'test', path: '/a', value: 3 },
      ]);
      const err = apiErrorOf(() => applyJsonPatch(doc, ops));
      expect(err.message).toContain('operation 2');
      expect(doc).toEqual({ a: 1, list: [1, 2] });
    });

    it('shares no structure with the operations', () => {
      const value = { nested: { x: 1 } };
      const ops = [
        { op: 'add', path: '/a', value },
        { op: 'replace', path: '/a/nested/x', value: 2 },
      ];
      expect(applyJsonPatch({}, ops)).toEqual({ a: { nested: { x: 2 } } });
      expect(value).toEqual({ nested: { x: 1 } });
    });

    it('sets __proto__ as an own member without touching prototypes', () => {
      const result = applyJsonPatch({}, [
        { op: 'add', path: '/__proto__', value: { polluted: true } },
      ]) as object;
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(Object.keys(result)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('malformed patches (400)', () => {
    it.each([
      ['not an array', { op: 'add' }, 'expected a JSON array of operations, got an object'],
      [
        'an operation that is not an object',
        ['add'],
        'operation 0: expected an object, got a string',
      ],
      [
        'a missing op',
        [{ path: '/a' }],
        'operation 0: "op" must be one of add, remove, replace, move, copy, test but is missing',
      ],
      ['an unknown op', [{ op: 'merge', path: '/a' }], 'operation 0 (merge): "op" must be one of'],
      ['a missing path', [{ op: 'remove' }], 'operation 0 (remove): missing "path"'],
      [
        'a path that is not a string',
        [{ op: 'remove', path: 1 }],
        '"path" must be a string, got a number',
      ],
      ['a relative path', [{ op: 'remove', path: 'a/b' }], 'must be empty or start with "/"'],
      ['a bad escape', [{ op: 'remove', path: '/a~2' }], '"~" must be followed by "0" or "1"'],
      ['a missing value', [{ op: 'add', path: '/a' }], 'operation 0 (add): missing "value"'],
      [
        'a missing from',
        [
          { op: 'test', path: '/a', value: 1 },
          { op: 'copy', path: '/b' },
        ],
        'operation 1 (copy): missing "from"',
      ],
    ])('%s', (_name, ops, message) => {
      const err = apiErrorOf(() => applyJsonPatch({ a: 1 }, ops));
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message).toContain(message);
    });

    it('checks the shape of every operation before applying any', () => {
      // operation 0 would fail at apply time (422), but operation 1 is malformed: 400 wins.
      const err = apiErrorOf(() =>
        applyJsonPatch({}, [
          { op: 'remove', path: '/missing' },
          { op: 'add', path: '/x' },
        ]),
      );
      expect(err.code).toBe(400);
      expect(err.message).toContain('operation 1');
    });

    it(`refuses more than ${MAX_JSON_PATCH_OPERATIONS} operations with 413`, () => {
      const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
        op: 'test',
        path: '',
        value: {},
      }));
      const err = apiErrorOf(() => applyJsonPatch({}, ops));
      expect(err.code).toBe(413);
    });

    it('accepts an empty patch', () => {
      expect(applyJsonPatch({ a: 1 }, [])).toEqual({ a: 1 });
    });
  });
});

describe('JSON pointers', () => {
  it.each([
    ['', []],
    ['/', ['']],
    ['/a/b', ['a', 'b']],
    ['/a~1b', ['a/b']],
    ['/m~0n', ['m~n']],
    ['/~01', ['~1']],
    ['/a//b', ['a', '', 'b']],
  ])('%j parses to %j and back', (pointer, tokens) => {
    expect(parsePointer(pointer)).toEqual(tokens);
    expect(formatPointer(tokens)).toBe(pointer);
  });

  it('rejects malformed pointers with 400', () => {
    expect(apiErrorOf(() => parsePointer('a')).code).toBe(400);
    expect(apiErrorOf(() => parsePointer('/~')).code).toBe(400);
  });
});
