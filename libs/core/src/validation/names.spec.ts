import type { StatusCause } from '../api/status';
import {
  fieldErrors,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNumber,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  renderValue,
  utf8Length,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateObjectMeta,
  validateOwnerReferences,
} from './index';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
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

describe('isDNS1123Subdomain', () => {
  it.each([
    'a',
    'ab',
    'a-b',
    '0',
    'a.b',
    'a-1.b-2.c',
    'example.com',
    '1.2.3.4',
    'a'.repeat(253),
    `${'a'.repeat(63)}.${'b'.repeat(63)}`,
  ])('accepts %s', (v) => expect(isDNS1123Subdomain(v)).toEqual([]));

  it.each([
    '',
    'A',
    'a_b',
    '-a',
    'a-',
    '.a',
    'a.',
    'a..b',
    'a b',
    'café',
    '🙂',
    'a/b',
    'a.-b',
    'a\n',
  ])('rejects %j with the Kubernetes message', (v) =>
    expect(isDNS1123Subdomain(v)).toEqual([SUBDOMAIN_MSG]),
  );

  it('reports length and format separately', () => {
    expect(isDNS1123Subdomain('a'.repeat(254))).toEqual(['must be no more than 253 characters']);
    expect(isDNS1123Subdomain('A'.repeat(254))).toEqual([
      'must be no more than 253 characters',
      SUBDOMAIN_MSG,
    ]);
  });
});

describe('isDNS1123Label', () => {
  it.each(['a', 'abc', 'a-b', '123', '1-a', 'a'.repeat(63)])('accepts %s', (v) =>
    expect(isDNS1123Label(v)).toEqual([]),
  );

  it('explains dots specially', () => {
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
  });

  it.each(['', 'A', '-a', 'a-', 'a_b', 'a b', 'ü'])('rejects %j', (v) =>
    expect(isDNS1123Label(v)).toEqual([LABEL_MSG]),
  );

  it('limits length to 63', () => {
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });
});

describe('isDNS1035Label', () => {
  it('requires a leading letter', () => {
    expect(isDNS1035Label('my-svc')).toEqual([]);
    expect(isDNS1035Label('1svc')).toHaveLength(1);
    expect(isDNS1035Label('1svc')[0]).toMatch(/^a DNS-1035 label must consist/);
  });
});

describe('isQualifiedName', () => {
  it.each([
    'a',
    'A',
    'simple',
    'now-with-dashes',
    '1-starts-with-num',
    '1234',
    'simple/simple',
    'now-with-dashes/simple',
    'now-with-dashes/now-with-dashes',
    'now.with.dots/simple',
    'now-with.dashes-and.dots/simple',
    '1-num.2-num/3-num',
    '1234/5678',
    '1.2.3.4/5678',
    'Uppercase_Is_OK_123',
    'example.com/Uppercase_Is_OK_123',
    'requests.storage-foo',
    'app.kubernetes.io/name',
    'a'.repeat(63),
    `${'a'.repeat(253)}/${'b'.repeat(63)}`,
  ])('accepts %s', (v) => expect(isQualifiedName(v)).toEqual([]));

  it.each([
    'nospecialchars%^=@',
    'cantendwithadash-',
    '-cantstartwithadash-',
    'only/one/slash',
    'Example.com/abc',
    'example_com/abc',
    'example.com/',
    '/simple',
    'a'.repeat(64),
    `${'a'.repeat(254)}/abc`,
    '',
    'a b',
    'café',
    '🙂',
  ])('rejects %j', (v) => expect(isQualifiedName(v).length).toBeGreaterThan(0));

  it('words errors like Kubernetes', () => {
    expect(isQualifiedName('bad key')).toEqual([QUALIFIED_NAME_PART_MSG]);
    expect(isQualifiedName('/a')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('a/')).toEqual(['name part must be non-empty', QUALIFIED_NAME_PART_MSG]);
    expect(isQualifiedName('a'.repeat(64))).toEqual([
      'name part must be no more than 63 characters',
    ]);
    expect(isQualifiedName('Example.com/a')).toEqual([`prefix part ${SUBDOMAIN_MSG}`]);
    expect(isQualifiedName('a/b/c')[0]).toMatch(
      /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
  });
});

describe('isValidLabelValue', () => {
  it.each([
    '',
    'simple',
    'now-with-dashes',
    '1-starts-with-num',
    'end-with-num-1',
    '1234',
    'a'.repeat(63),
    'Upper_Case.ok',
  ])('accepts %j', (v) => expect(isValidLabelValue(v)).toEqual([]));

  it.each([
    'nospecialchars%^=@',
    'Tama-nui-te-rā.is.Māori.sun',
    '\\backslashes\\are\\bad',
    '-starts-with-dash',
    'ends-with-dash-',
    '.starts.with.dot',
    'ends.with.dot.',
    'a b',
    '🙂',
  ])('rejects %j', (v) => expect(isValidLabelValue(v)).toEqual([LABEL_VALUE_MSG]));

  it('limits to 63 bytes', () => {
    expect(isValidLabelValue('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });
});

describe('port helpers', () => {
  it('validates port names', () => {
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('h2c-1')).toEqual([]);
    expect(isValidPortName('a'.repeat(16))).toEqual(['must be no more than 15 characters']);
    expect(isValidPortName('123')).toEqual(['must contain at least one letter (a-z)']);
    expect(isValidPortName('a--b')).toEqual(['must not contain consecutive hyphens']);
    expect(isValidPortName('-ab')).toEqual(['must not begin or end with a hyphen']);
    expect(isValidPortName('HTTP')).toEqual([
      'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'must contain at least one letter (a-z)',
    ]);
    expect(isValidPortName('').length).toBeGreaterThan(0);
  });

  it('validates port numbers', () => {
    expect(isValidPortNumber(1)).toEqual([]);
    expect(isValidPortNumber(65535)).toEqual([]);
    for (const bad of [0, 65536, -1, 1.5, NaN, '80', null]) {
      expect(isValidPortNumber(bad)).toEqual(['must be between 1 and 65535, inclusive']);
    }
  });
});

describe('name rules', () => {
  it('lets generateName end with a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toEqual([SUBDOMAIN_MSG]);
    expect(nameIsDNSLabel('web-', true)).toEqual([]);
    expect(nameIsDNSLabel('-', true)).toEqual([LABEL_MSG]);
  });
});

describe('helpers never throw and reject non-strings', () => {
  const helpers = [
    isDNS1123Label,
    isDNS1123Subdomain,
    isDNS1035Label,
    isQualifiedName,
    isValidLabelValue,
    isValidPortName,
    nameIsDNSLabel,
    nameIsDNSSubdomain,
  ];
  it.each(ODD_VALUES.map((v) => [renderValue(v), v]))('%s', (_label, v) => {
    for (const fn of helpers) {
      const errs = fn(v);
      expect(Array.isArray(errs)).toBe(true);
      if (typeof v !== 'string') expect(errs).toEqual(['must be a string']);
      for (const e of errs) expect(typeof e).toBe('string');
    }
  });

  it('runs in linear time on long hostile strings', () => {
    const hostile = `${'a-'.repeat(50_000)}!`;
    const start = Date.now();
    isDNS1123Subdomain(hostile);
    isQualifiedName(hostile);
    isValidLabelValue(hostile);
    isDNS1123Label(`${'a.'.repeat(50_000)}-`);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('utf8Length', () => {
  it('counts bytes like Go len()', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('名')).toBe(3);
    expect(utf8Length('🙂')).toBe(4);
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length('\ud800x')).toBe(4);
    for (const s of ['héllo wörld', '🙂🙂', 'a\u0000b', '名前']) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});

describe('fieldErrors and renderValue', () => {
  it('words causes like Kubernetes field errors', () => {
    expect(fieldErrors.invalid('metadata.name', 'Foo', 'bad')).toEqual({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "Foo": bad',
      field: 'metadata.name',
    });
    expect(fieldErrors.required('metadata.namespace')).toEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'metadata.namespace',
    });
    expect(fieldErrors.required('x', 'needed').message).toBe('Required value: needed');
    expect(fieldErrors.tooLong('metadata.annotations', 262144).message).toBe(
      'Too long: may not be more than 262144 bytes',
    );
    expect(fieldErrors.forbidden('x', 'no').message).toBe('Forbidden: no');
    expect(fieldErrors.typeInvalid('x', 5, 'must be a string').reason).toBe(
      'FieldValueTypeInvalid',
    );
  });

  it('renders values safely', () => {
    expect(renderValue('a"b')).toBe('"a\\"b"');
    expect(renderValue(5)).toBe('5');
    expect(renderValue(null)).toBe('null');
    expect(renderValue(undefined)).toBe('null');
    expect(renderValue({ a: 1 })).toBe('{"a":1}');
    expect(renderValue(10n)).toBe('10');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(renderValue(circular)).toBe('<unrenderable value>');
    expect(renderValue('x'.repeat(1000))).toBe(`"${'x'.repeat(256)}"... (1000 characters)`);
    expect(renderValue(['y'.repeat(1000)]).length).toBeLessThan(300);
  });
});

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
