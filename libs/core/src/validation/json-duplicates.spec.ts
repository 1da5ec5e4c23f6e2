import { duplicateJsonKeys } from './json-duplicates';

describe('duplicateJsonKeys', () => {
  it('finds none in a body without duplicates', () => {
    expect(duplicateJsonKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toEqual([]);
    expect(duplicateJsonKeys('[]')).toEqual([]);
    expect(duplicateJsonKeys('"x"')).toEqual([]);
    expect(duplicateJsonKeys('{}')).toEqual([]);
  });

  it('names a duplicate at the top level and in nested objects', () => {
    expect(duplicateJsonKeys('{"kind":"Pod","kind":"Pod"}')).toEqual(['kind']);
    expect(
      duplicateJsonKeys('{"metadata":{"name":"a","labels":{"app":"x","app":"y"},"name":"b"}}'),
    ).toEqual(['metadata.labels.app', 'metadata.name']);
  });

  it('names array items with their index', () => {
    const text = JSON.stringify({
      spec: { containers: [{ name: 'a' }, { name: 'b', image: 'i' }] },
    }).replace('"image":"i"', '"name":"c"');
    expect(duplicateJsonKeys(text)).toEqual(['spec.containers[1].name']);
    expect(duplicateJsonKeys('[[1,{"a":1,"a":2}]]')).toEqual(['[0][1].a']);
    expect(duplicateJsonKeys('{"a":[[],[{"b":[]},{"c":1,"c":2}]]}')).toEqual(['a[1][1].c']);
  });

  it('reports a key each time it repeats, at several levels', () => {
    expect(duplicateJsonKeys('{"a":{"x":1,"x":2,"x":3},"a":{"y":1,"y":1}}')).toEqual([
      'a.x',
      'a.x',
      'a',
      'a.y',
    ]);
  });

  it('compares keys by their decoded value', () => {
    expect(duplicateJsonKeys('{"ab":1,"a\\u0062":2}')).toEqual(['ab']);
    expect(duplicateJsonKeys('{"a\\"b":1,"a\\u0022b":2}')).toEqual(['a"b']);
    // Different keys that only look alike are not duplicates.
    expect(duplicateJsonKeys('{"a\\\\":1,"a":2}')).toEqual([]);
  });

  it('is not fooled by strings holding braces, brackets, commas, colons and quotes', () => {
    const text = JSON.stringify({
      a: '{"a":1,"a":2}',
      b: '[,,]}}{{',
      'c,"d":': 'x\\',
      e: ['}', '"', '\\"', { f: ',' }],
    });
    expect(duplicateJsonKeys(text)).toEqual([]);
    expect(duplicateJsonKeys(`${text.slice(0, -1)},"e":1}`)).toEqual(['e']);
  });

  it('handles whitespace between tokens', () => {
    expect(duplicateJsonKeys('{ "a" : 1 ,\n  "b" : [ 1 , 2 ] ,\t"a" : { } }')).toEqual(['a']);
  });

  it('scans 100,000 levels of nesting without recursion', () => {
    const depth = 100_000;
    const text = '{"a":'.repeat(depth) + '{"k":1,"k":2}' + '}'.repeat(depth);
    const found = duplicateJsonKeys(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toBe(`${'a.'.repeat(depth)}k`);
  });

  it('scans a 1 MB body in linear time', () => {
    const items = Array.from({ length: 9000 }, (_, i) => ({
      name: `c${i}`,
      image: 'busybox:1.36',
      env: [{ name: 'A', value: 'x "y" {z}' }],
      labels: { app: 'web', tier: String(i) },
    }));
    const text = JSON.stringify({ spec: { containers: items } });
    expect(text.length).toBeGreaterThan(1_000_000);
    const start = process.hrtime.bigint();
    expect(duplicateJsonKeys(text)).toEqual([]);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    // Measured about 10 ms on the build machine; a quadratic scan takes seconds.
    expect(ms).toBeLessThan(1000);
  });
});
