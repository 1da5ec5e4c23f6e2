import { parseDocument } from 'yaml';
import { duplicateYamlKeys } from './yaml-duplicates';

const dups = (text: string) => duplicateYamlKeys(parseDocument(text, { uniqueKeys: false }));

describe('duplicateYamlKeys', () => {
  it('finds none without duplicates', () => {
    expect(dups('a: 1\nb: {a: 2}\nc: [{a: 3}, {a: 4}]\n')).toEqual([]);
    expect(dups('')).toEqual([]);
  });

  it('names duplicates in document order, with array indexes', () => {
    expect(dups('a: {x: 1, x: 2}\nb:\n- [1, {c: 1, c: 2}]\na: 3\n')).toEqual([
      'a.x',
      'b[0][1].c',
      'a',
    ]);
  });

  it('compares keys as the strings they become in JSON', () => {
    expect(dups('"ab": 1\nab: 2\n1: x\n"1": y\n')).toEqual(['ab', '1']);
  });

  it('walks deep documents without recursion', () => {
    // The YAML parser itself gives up (an error: 400) near 800 levels of flow collections.
    const depth = 500;
    const text = '['.repeat(depth) + '{k: 1, k: 2}' + ']'.repeat(depth);
    expect(dups(text)).toEqual([`${'[0]'.repeat(depth)}.k`]);
  });
});
