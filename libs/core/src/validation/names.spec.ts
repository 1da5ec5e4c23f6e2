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
