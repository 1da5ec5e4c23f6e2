import type { StatusCause } from '../api/status';
import {
  fieldErrors,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateObjectMeta,
  validateOwnerReferences,
} from './index';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const ODD_VALUES: unknown[] = [
  null,
  undefined,
  0,
  42,
  -1,
  NaN,
  Infinity,
  true,
  false,
  '',
  ' ',
  'é',
  'café',
  '🙂',
  '名前',
  '\u0000',
  '\ud800',
  'a'.repeat(1000),
  'a.'.repeat(500),
  [],
  ['a'],
  {},
  { a: 'b' },
  () => 1,
  Symbol('s'),
  10n,
  new Date(0),
  new Map([['a', 'b']]),
];

describe('validateLabels', () => {
  it('accepts good labels and absent labels', () => {
    expect(
      validateLabels({ app: 'web', 'app.kubernetes.io/name': 'x', empty: '' }, 'metadata.labels'),
    ).toEqual([]);
    expect(validateLabels(undefined, 'metadata.labels')).toEqual([]);
    expect(validateLabels(null, 'metadata.labels')).toEqual([]);
    expect(validateLabels({}, 'metadata.labels')).toEqual([]);
  });

  it('reports bad keys and values at the map path', () => {
    expect(validateLabels({ 'bad key': 'ok', good: 'bad value' }, 'metadata.labels')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: `Invalid value: "bad key": ${QUALIFIED_NAME_PART_MSG}`,
      },
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: `Invalid value: "bad value": ${LABEL_VALUE_MSG}`,
      },
    ]);
  });

  it('rejects non-string values and non-object maps', () => {
    expect(validateLabels({ a: 1 }, 'metadata.labels')).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'metadata.labels',
        message: 'Invalid value: 1: label "a" must have a string value',
      },
    ]);
    for (const bad of ['a=b', 5, ['a'], true, new Map()]) {
      const causes = validateLabels(bad, 'metadata.labels');
      expect(causes).toHaveLength(1);
      expect(causes[0]!.reason).toBe('FieldValueTypeInvalid');
    }
  });

  it('accepts null-prototype objects', () => {
    const labels = Object.create(null) as Record<string, string>;
    labels.app = 'web';
    expect(validateLabels(labels, 'l')).toEqual([]);
  });
});

describe('validateAnnotations', () => {
  it('accepts any-case qualified keys and arbitrary values', () => {
    expect(
      validateAnnotations(
        {
          'Example.COM/Some-Key': 'anything goes: 🙂 {"json": true}',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
        },
        'metadata.annotations',
      ),
    ).toEqual([]);
  });

  it('rejects bad keys', () => {
    const causes = validateAnnotations({ 'no spaces': 'x' }, 'metadata.annotations');
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.annotations' });
    expect(causes[0]!.message).toMatch(/^Invalid value: "no spaces": name part must consist/);
  });

  it('limits the total size to 256 KiB (keys + values, in bytes)', () => {
    const limit = 256 * 1024;
    expect(validateAnnotations({ a: 'x'.repeat(limit - 1) }, 'metadata.annotations')).toEqual([]);
    expect(validateAnnotations({ a: 'x'.repeat(limit) }, 'metadata.annotations')).toEqual([
      {
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: may not be more than 262144 bytes',
      },
    ]);
    // multi-byte characters count as bytes
    expect(validateAnnotations({ a: '€'.repeat(limit / 2) }, 'metadata.annotations')).toHaveLength(
      1,
    );
    // the total, not a single entry, counts
    expect(
      validateAnnotations(
        { a: 'x'.repeat(limit / 2), b: 'x'.repeat(limit / 2) },
        'metadata.annotations',
      ),
    ).toHaveLength(1);
  });

  it('rejects non-string values and non-object maps', () => {
    expect(validateAnnotations({ a: { nested: true } }, 'm.a')[0]!.reason).toBe(
      'FieldValueTypeInvalid',
    );
    expect(validateAnnotations('x', 'm.a')[0]!.reason).toBe('FieldValueTypeInvalid');
  });
});

describe('validateFinalizers', () => {
  it('checks names and the orphan/foreground conflict', () => {
    expect(
      validateFinalizers(['kubernetes', 'example.com/cleanup'], 'metadata.finalizers'),
    ).toEqual([]);
    expect(validateFinalizers(['bad name'], 'metadata.finalizers')[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.finalizers',
    });
    expect(validateFinalizers(['orphan', 'foregroundDeletion'], 'metadata.finalizers')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.finalizers',
        message:
          'Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
      },
    ]);
    expect(validateFinalizers([1], 'metadata.finalizers')).toEqual([
      fieldErrors.typeInvalid('metadata.finalizers[0]', 1, 'must be a string'),
    ]);
    expect(validateFinalizers('x', 'metadata.finalizers')[0]!.reason).toBe('FieldValueTypeInvalid');
  });
});

describe('validateOwnerReferences', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u-1' };

  it('accepts complete references', () => {
    expect(
      validateOwnerReferences([ref, { ...ref, apiVersion: 'v1', controller: true }], 'o'),
    ).toEqual([]);
  });

  it('requires apiVersion, kind, name and uid', () => {
    expect(validateOwnerReferences([{}], 'metadata.ownerReferences')).toEqual(
      ['apiVersion', 'kind', 'name', 'uid'].map((k) =>
        fieldErrors.required(`metadata.ownerReferences[0].${k}`, 'must not be empty'),
      ),
    );
    expect(validateOwnerReferences([{ ...ref, uid: '' }], 'o')).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'o[0].uid',
        message: 'Required value: must not be empty',
      },
    ]);
    expect(validateOwnerReferences([{ ...ref, name: 5 }], 'o')[0]).toMatchObject({
      reason: 'FieldValueTypeInvalid',
      field: 'o[0].name',
    });
  });

  it('checks apiVersion shape, controller uniqueness and banned owners', () => {
    expect(validateOwnerReferences([{ ...ref, apiVersion: 'a/b/c' }], 'o')).toEqual([
      fieldErrors.invalid('o[0].apiVersion', 'a/b/c', 'must be <group>/<version> or <version>'),
    ]);
    expect(validateOwnerReferences([{ ...ref, apiVersion: 'apps/' }], 'o')).toHaveLength(1);
    const two = validateOwnerReferences(
      [
        { ...ref, controller: true },
        { ...ref, name: 'other', controller: true },
      ],
      'o',
    );
    expect(two).toHaveLength(1);
    expect(two[0]!.field).toBe('o');
    expect(two[0]!.message).toContain(
      'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/web-abc and ReplicaSet/other',
    );
    expect(
      validateOwnerReferences([{ ...ref, apiVersion: 'v1', kind: 'Event' }], 'o')[0]!.message,
    ).toContain('/v1, Kind=Event is disallowed from being an owner');
    expect(validateOwnerReferences([{ ...ref, controller: 'yes' }], 'o')[0]!.field).toBe(
      'o[0].controller',
    );
  });

  it('rejects non-lists and non-object entries', () => {
    expect(validateOwnerReferences({}, 'o')[0]!.reason).toBe('FieldValueTypeInvalid');
    expect(validateOwnerReferences([null, 'x'], 'o').map((c) => c.field)).toEqual(['o[0]', 'o[1]']);
  });
});

describe('validateObjectMeta', () => {
  const ns = { namespaced: true, nameRule: 'subdomain' as const };
  const cluster = { namespaced: false, nameRule: 'label' as const };

  it('accepts a good namespaced object', () => {
    expect(
      validateObjectMeta(
        {
          name: 'web.v1',
          namespace: 'team-a',
          labels: { app: 'web' },
          annotations: { note: 'hi' },
          finalizers: ['example.com/f'],
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'x' }],
          generation: 1,
          resourceVersion: '12',
          uid: 'abc',
        },
        ns,
      ),
    ).toEqual([]);
  });

  it('accepts generateName instead of name', () => {
    expect(validateObjectMeta({ generateName: 'web-', namespace: 'a' }, ns)).toEqual([]);
  });

  it('requires name or generateName', () => {
    expect(validateObjectMeta({ namespace: 'a' }, ns)).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
    expect(validateObjectMeta({ name: '', namespace: 'a' }, ns)).toHaveLength(1);
    expect(validateObjectMeta({ namespace: 'a' }, { ...ns, requireName: false })).toEqual([]);
  });

  it('validates the name by the kind rule', () => {
    expect(validateObjectMeta({ name: 'Web', namespace: 'a' }, ns)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "Web": ${SUBDOMAIN_MSG}`,
      },
    ]);
    expect(validateObjectMeta({ name: 'a.b' }, cluster)).toEqual([
      fieldErrors.invalid('metadata.name', 'a.b', 'must not contain dots'),
    ]);
    expect(validateObjectMeta({ name: 'a.b', namespace: 'x' }, ns)).toEqual([]);
    expect(validateObjectMeta({ generateName: 'Bad_', namespace: 'x' }, ns)[0]!.field).toBe(
      'metadata.generateName',
    );
  });

  it('requires a valid namespace for namespaced kinds only', () => {
    expect(validateObjectMeta({ name: 'a' }, ns)).toEqual([
      { reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' },
    ]);
    expect(validateObjectMeta({ name: 'a', namespace: 'Bad.NS' }, ns)[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.namespace',
    });
    expect(validateObjectMeta({ name: 'a' }, cluster)).toEqual([]);
    expect(validateObjectMeta({ name: 'a', namespace: 'x' }, cluster)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'metadata.namespace',
        message: 'Forbidden: not allowed on this type',
      },
    ]);
  });

  it('collects label, annotation, finalizer and owner problems with full paths', () => {
    const causes = validateObjectMeta(
      {
        name: 'a',
        namespace: 'b',
        labels: { 'bad key': 'v' },
        annotations: { 'bad key': 'v' },
        finalizers: ['bad name'],
        ownerReferences: [{ kind: 'X' }],
        generation: -1,
      },
      ns,
    );
    expect(causes.map((c) => c.field)).toEqual([
      'metadata.generation',
      'metadata.labels',
      'metadata.annotations',
      'metadata.ownerReferences[0].apiVersion',
      'metadata.ownerReferences[0].name',
      'metadata.ownerReferences[0].uid',
      'metadata.finalizers',
    ]);
  });

  it('honours a custom path', () => {
    const causes = validateObjectMeta(
      { labels: { a: '-' } },
      {
        namespaced: false,
        nameRule: 'subdomain',
        requireName: false,
        path: 'spec.template.metadata',
      },
    );
    expect(causes.map((c) => c.field)).toEqual(['spec.template.metadata.labels']);
  });

  it('treats missing metadata as empty and rejects non-objects', () => {
    expect(validateObjectMeta(undefined, ns).map((c) => c.field)).toEqual([
      'metadata.name',
      'metadata.namespace',
    ]);
    expect(validateObjectMeta(null, cluster).map((c) => c.field)).toEqual(['metadata.name']);
    for (const bad of ['x', 5, [], true]) {
      expect(validateObjectMeta(bad, ns)).toEqual([
        fieldErrors.typeInvalid('metadata', bad, 'must be an object'),
      ]);
    }
  });

  it('rejects wrongly typed fields without throwing', () => {
    const causes = validateObjectMeta(
      {
        name: 5,
        generateName: [],
        namespace: {},
        generation: 'one',
        labels: 'a=b',
        annotations: 1,
        finalizers: {},
        ownerReferences: 'x',
      },
      ns,
    );
    expect(causes.every((c) => c.reason === 'FieldValueTypeInvalid')).toBe(true);
    expect(causes.map((c) => c.field)).toEqual([
      'metadata.generateName',
      'metadata.name',
      'metadata.namespace',
      'metadata.generation',
      'metadata.labels',
      'metadata.annotations',
      'metadata.ownerReferences',
      'metadata.finalizers',
    ]);
  });

  it('never throws, always returns causes, on odd input', () => {
    const shapes = (v: unknown): unknown[] => [
      v,
      { name: v },
      { name: 'a', namespace: v },
      { name: 'a', namespace: 'b', generateName: v },
      { name: 'a', namespace: 'b', labels: v },
      { name: 'a', namespace: 'b', labels: { k: v } },
      { name: 'a', namespace: 'b', labels: { [String(typeof v === 'symbol' ? 's' : v)]: 'v' } },
      { name: 'a', namespace: 'b', annotations: v },
      { name: 'a', namespace: 'b', annotations: { k: v } },
      { name: 'a', namespace: 'b', finalizers: v },
      { name: 'a', namespace: 'b', finalizers: [v] },
      { name: 'a', namespace: 'b', ownerReferences: v },
      { name: 'a', namespace: 'b', ownerReferences: [v] },
      {
        name: 'a',
        namespace: 'b',
        ownerReferences: [{ apiVersion: v, kind: v, name: v, uid: v, controller: v }],
      },
      { name: 'a', namespace: 'b', generation: v },
    ];
    for (const v of ODD_VALUES) {
      for (const meta of shapes(v)) {
        for (const opts of [ns, cluster]) {
          let causes: StatusCause[] = [];
          expect(() => {
            causes = validateObjectMeta(meta, opts);
          }).not.toThrow();
          expect(Array.isArray(causes)).toBe(true);
          for (const c of causes) {
            expect(typeof c.reason).toBe('string');
            expect(typeof c.message).toBe('string');
            expect(typeof c.field).toBe('string');
            expect(c.message.length).toBeLessThan(2000);
          }
        }
      }
    }
  });

  it('gives causes for unicode, emoji and very long names', () => {
    expect(validateObjectMeta({ name: 'café', namespace: 'a' }, ns)).toHaveLength(1);
    expect(validateObjectMeta({ name: '🙂', namespace: 'a' }, ns)).toHaveLength(1);
    const long = validateObjectMeta({ name: 'a'.repeat(1000), namespace: 'a' }, ns);
    expect(long).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${'a'.repeat(256)}"... (1000 characters): must be no more than 253 characters`,
      },
    ]);
    expect(validateObjectMeta({ name: 'a'.repeat(64) }, cluster)[0]!.message).toContain(
      'must be no more than 63 characters',
    );
  });

  it('survives exotic objects with throwing getters', () => {
    const meta = { name: 'a', namespace: 'b' };
    Object.defineProperty(meta, 'labels', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(validateObjectMeta(meta, ns)).toEqual([
      fieldErrors.typeInvalid('metadata', meta, 'could not be read'),
    ]);
  });
});
