import { applyJsonPatch } from '@berth/core/patch/json-patch';
import { parseDuration } from './format';
import { dataPatch, duplicateKeys, fromBase64, pairsToData, rowsOf, toBase64 } from './key-values';

const RV = '42';
const object = (data?: Record<string, string>) => ({
  metadata: { name: 'c', resourceVersion: RV },
  ...(data ? { data } : {}),
});

/** What the API would store after the patch (the same JSON Patch code the API runs). */
const after = (data: Record<string, string> | undefined, ops: unknown) =>
  (applyJsonPatch(object(data), ops) as { data?: Record<string, string> }).data;

describe('dataPatch: a ConfigMap (values known)', () => {
  const stored = { A: '1', B: '2', C: '3' };

  it('changes a value, renames a key, removes one, adds one', () => {
    const rows = rowsOf(stored);
    rows[0].value = 'one';
    rows[1].key = 'B2';
    rows.splice(2, 1);
    rows.push({ key: 'D', value: '4' });
    const ops = dataPatch(stored, rows, { resourceVersion: RV });
    expect(ops[0]).toEqual({ op: 'replace', path: '/metadata/resourceVersion', value: RV });
    expect(after(stored, ops)).toEqual({ A: 'one', B2: '2', D: '4' });
  });

  it('swaps two keys by name (a→b, b→a) through temporary keys no one sees', () => {
    const rows = rowsOf(stored);
    rows[0].key = 'B';
    rows[1].key = 'A';
    const ops = dataPatch(stored, rows, { resourceVersion: RV });
    expect(after(stored, ops)).toEqual({ A: '2', B: '1', C: '3' });
  });

  it('unchanged rows give only the precondition', () => {
    expect(dataPatch(stored, rowsOf(stored), { resourceVersion: RV })).toHaveLength(1);
  });

  it('creates the map when the object has none, and can make the object immutable', () => {
    const ops = dataPatch(undefined, [{ key: 'X', value: 'y' }], {
      resourceVersion: RV,
      makeImmutable: true,
    });
    const result = applyJsonPatch(object(), ops) as { data: unknown; immutable: unknown };
    expect(result).toMatchObject({ data: { X: 'y' }, immutable: true });
  });

  it('escapes keys as JSON Pointer segments', () => {
    const ops = dataPatch({ 'a~b': '1' }, [{ originalKey: 'a~b', key: 'a/b', value: '1' }], {
      resourceVersion: RV,
    });
    expect(after({ 'a~b': '1' }, ops)).toEqual({ 'a/b': '1' });
  });
});

describe('dataPatch: a Secret (values hidden until revealed)', () => {
  const stored = { user: toBase64('admin'), password: toBase64('old') };
  // What the dashboard holds of it: the keys only.
  const masked = { user: '', password: '' };

  it('renames and removes keys and replaces a value without knowing the others', () => {
    const rows = rowsOf(masked, false);
    const user = rows.find((r) => r.key === 'user')!;
    user.key = 'username';
    const password = rows.find((r) => r.key === 'password')!;
    password.value = 'n€w';
    const ops = dataPatch(masked, rows, {
      resourceVersion: RV,
      encode: toBase64,
      valuesHidden: true,
    });
    // No op carries a value it did not change.
    expect(JSON.stringify(ops)).not.toContain(toBase64('admin'));
    const result = after(stored, ops)!;
    expect(Object.keys(result).sort()).toEqual(['password', 'username']);
    expect(fromBase64(result.username)).toBe('admin');
    expect(fromBase64(result.password)).toBe('n€w');
  });

  it('an empty value on a loaded key keeps it; on a new key it is the empty string', () => {
    const rows = [...rowsOf(masked, false), { key: 'empty', value: '' }];
    const result = after(
      stored,
      dataPatch(masked, rows, { resourceVersion: RV, encode: toBase64, valuesHidden: true }),
    )!;
    expect(result).toEqual({ ...stored, empty: '' });
  });
});

describe('form rows', () => {
  it('pairsToData drops rows without a key and encodes values', () => {
    expect(pairsToData([{ key: 'a', value: 'x' }, { value: 'lost' }], toBase64)).toEqual({
      a: toBase64('x'),
    });
  });

  it('duplicateKeys names each key given twice once', () => {
    expect(duplicateKeys([{ key: 'a' }, { key: 'b' }, { key: 'a' }, { key: 'a' }, {}])).toEqual([
      'a',
    ]);
  });
});

describe('parseDuration (kubectl create token --duration)', () => {
  it('reads h/m/s (and d) and their sums', () => {
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(' 600s ')).toBe(600);
    expect(parseDuration('2d')).toBe(172800);
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['', '1', 'h', '1.5h', '-1h', '1 h', '1y'])
      expect(parseDuration(bad)).toBeUndefined();
  });
});
