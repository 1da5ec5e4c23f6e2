import type { KubeObject } from '../api/types';
import { decodeBase64, isConfigMapKey } from './config-data';
import { configMapDefinition, validateConfigMapImmutableUpdate } from './config-map';

const now = new Date('2024-05-01T12:00:00Z');
const cm = (rest: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' },
    ...rest,
  }) as KubeObject;
const validate = (o: KubeObject, old?: KubeObject) => configMapDefinition.validate(o, old);
const IMMUTABLE = 'Forbidden: field is immutable when `immutable` is set';

describe('isConfigMapKey (validation.IsConfigMapKey)', () => {
  const REGEX =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  it.each([
    ['a', []],
    ['game.properties', []],
    ['UI_PROPS-1', []],
    ['.hidden', []],
    ['x'.repeat(253), []],
    ['x'.repeat(254), ['must be no more than 253 characters']],
    ['', [REGEX]],
    ['a/b', [REGEX]],
    ['a b', [REGEX]],
    ['.', ["must not be '.'"]],
    ['..', ["must not be '..'"]],
    ['..data', ["must not start with '..'"]],
  ])('%j → %j', (key, errors) => {
    expect(isConfigMapKey(key)).toEqual(errors);
  });
});

describe("decodeBase64 (Go's base64.StdEncoding)", () => {
  it.each([
    ['', ''],
    ['aGk=', 'hi'],
    ['aGVsbG8=', 'hello'],
    ['aGVs\nbG8=', 'hello'],
    ['YWJj', 'abc'],
  ])('%j decodes to %j', (input, text) => {
    expect(decodeBase64(input)).toEqual({ ok: true, bytes: Buffer.from(text) });
  });
  // Offsets as Go reports them: the bad byte, the start of an unpadded quantum, the end
  // when the second '=' is missing, or the first byte after the padding.
  it.each([
    ['aGk', 0],
    ['aGVsbG8', 4],
    ['aG!=', 2],
    ['a===', 1],
    ['aG=', 3],
    ['aGk=x', 4],
    ['aGk=aGk=', 4],
    ['aGVs bG8=', 4],
  ])('%j fails at byte %d', (input, at) => {
    expect(decodeBase64(input)).toEqual({
      ok: false,
      error: `illegal base64 data at input byte ${at}`,
    });
  });
});

describe('ConfigMap', () => {
  it('has core/v1 discovery data and is not in the served list', () => {
    expect(configMapDefinition).toMatchObject({
      kind: 'ConfigMap',
      plural: 'configmaps',
      singular: 'configmap',
      shortNames: ['cm'],
      namespaced: true,
      hasStatus: false,
    });
  });

  it('accepts data and binaryData with distinct keys', () => {
    expect(
      validate(cm({ data: { 'a.conf': 'x=1' }, binaryData: { 'b.bin': 'AAEC' }, immutable: true })),
    ).toEqual([]);
  });

  it('reports bad keys at data[key] / binaryData[key]', () => {
    expect(validate(cm({ data: { 'a/b': 'x' }, binaryData: { '..x': 'AA==' } }))).toEqual([
      expect.objectContaining({
        field: 'data[a/b]',
        reason: 'FieldValueInvalid',
        message: expect.stringMatching(/^Invalid value: "a\/b": a valid config key must consist/),
      }),
      {
        field: 'binaryData[..x]',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "..x": must not start with \'..\'',
      },
    ]);
  });

  it('rejects a key present in both maps', () => {
    expect(validate(cm({ data: { k: 'x' }, binaryData: { k: 'eA==' } }))).toEqual([
      {
        field: 'data[k]',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "k": duplicate of key present in binaryData',
      },
    ]);
  });

  it('rejects binaryData that is not base64', () => {
    expect(validate(cm({ binaryData: { k: 'not base64' } }))).toEqual([
      {
        field: 'binaryData[k]',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "not base64": illegal base64 data at input byte 3',
      },
    ]);
  });

  it('allows 1 MiB in all and no more (data bytes + decoded binaryData bytes)', () => {
    const half = 512 * 1024;
    const binary = Buffer.alloc(half).toString('base64');
    expect(validate(cm({ data: { a: 'x'.repeat(half) }, binaryData: { b: binary } }))).toEqual([]);
    expect(validate(cm({ data: { a: 'x'.repeat(half + 1) }, binaryData: { b: binary } }))).toEqual([
      {
        field: '[]', // field.NewPath("") prints as []
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 1048576 bytes',
      },
    ]);
    // Multi-byte characters count in UTF-8 bytes: 2 bytes each.
    expect(validate(cm({ data: { a: 'é'.repeat(half + 1) } }))).toHaveLength(1);
  });

  describe('immutable', () => {
    const old = cm({ data: { a: '1' }, binaryData: { b: 'AA==' }, immutable: true });
    it.each([
      ['unchanged', cm({ data: { a: '1' }, binaryData: { b: 'AA==' }, immutable: true }), []],
      [
        'data changed',
        cm({ data: { a: '2' }, binaryData: { b: 'AA==' }, immutable: true }),
        ['data'],
      ],
      ['binaryData removed', cm({ data: { a: '1' }, immutable: true }), ['binaryData']],
      ['immutable unset', cm({ data: { a: '1' }, binaryData: { b: 'AA==' } }), ['immutable']],
      ['everything', cm({ immutable: false }), ['immutable', 'data', 'binaryData']],
    ])('%s', (_, next, fields) => {
      const causes = validateConfigMapImmutableUpdate(old, next);
      expect(causes.map((c) => c.field)).toEqual(fields);
      for (const c of causes)
        expect(c).toMatchObject({ reason: 'FieldValueForbidden', message: IMMUTABLE });
      expect(validate(next, old).map((c) => c.field)).toEqual(fields);
    });

    it('a mutable ConfigMap may change and become immutable', () => {
      expect(
        validateConfigMapImmutableUpdate(
          cm({ data: { a: '1' } }),
          cm({ data: { a: '2' }, immutable: true }),
        ),
      ).toEqual([]);
    });
  });

  it('rejects an unknown field and wrong types through the schema', () => {
    const r = configMapDefinition.validateSchema(cm({ data: { a: 1 }, spec: {} }));
    expect(r.unknownFields).toEqual(['spec']);
    expect(r.causes).toEqual([expect.objectContaining({ field: 'data[a]' })]);
  });

  it('prints NAME DATA AGE, DATA counting both maps', () => {
    expect(configMapDefinition.table.columns.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(
      configMapDefinition.table.row(cm({ data: { a: '', b: '' }, binaryData: { c: '' } }), now),
    ).toEqual(['app', 3, '60m']);
    expect(configMapDefinition.table.row(cm(), now)).toEqual(['app', 0, '60m']);
  });
});
