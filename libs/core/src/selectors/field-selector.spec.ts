import { ApiError } from '../api/status';
import {
  escapeFieldSelectorValue,
  FieldRequirement,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unescapeFieldSelectorValue,
} from './index';

function parseError(s: string): ApiError {
  try {
    parseFieldSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseFieldSelector', () => {
  it.each<[string, FieldRequirement[]]>([
    ['', []],
    [',', []],
    ['  ', []],
    ['metadata.name=web', [{ field: 'metadata.name', operator: 'Equals', value: 'web' }]],
    ['metadata.name==web', [{ field: 'metadata.name', operator: 'Equals', value: 'web' }]],
    ['status.phase!=Running', [{ field: 'status.phase', operator: 'NotEquals', value: 'Running' }]],
    ['a=', [{ field: 'a', operator: 'Equals', value: '' }]],
    ['a!=', [{ field: 'a', operator: 'NotEquals', value: '' }]],
    [
      'metadata.namespace=team-a,spec.nodeName!=',
      [
        { field: 'metadata.namespace', operator: 'Equals', value: 'team-a' },
        { field: 'spec.nodeName', operator: 'NotEquals', value: '' },
      ],
    ],
    ['a=b,', [{ field: 'a', operator: 'Equals', value: 'b' }]],
    [
      'a=b,,c=d',
      [
        { field: 'a', operator: 'Equals', value: 'b' },
        { field: 'c', operator: 'Equals', value: 'd' },
      ],
    ],
    ['a=x\\,y', [{ field: 'a', operator: 'Equals', value: 'x,y' }]],
    ['a=x\\=y', [{ field: 'a', operator: 'Equals', value: 'x=y' }]],
    ['a=x\\\\y', [{ field: 'a', operator: 'Equals', value: 'x\\y' }]],
    ['a=\\\\', [{ field: 'a', operator: 'Equals', value: '\\' }]],
    [
      'a=\\,,b=\\=',
      [
        { field: 'a', operator: 'Equals', value: ',' },
        { field: 'b', operator: 'Equals', value: '=' },
      ],
    ],
    [' a = b', [{ field: 'a', operator: 'Equals', value: ' b' }]],
    [
      'a=b , c=d',
      [
        { field: 'a', operator: 'Equals', value: 'b ' },
        { field: 'c', operator: 'Equals', value: 'd' },
      ],
    ],
    ['a!b=c', [{ field: 'a!b', operator: 'Equals', value: 'c' }]],
    ['a=🙂 ünicode', [{ field: 'a', operator: 'Equals', value: '🙂 ünicode' }]],
    ['a=!b', [{ field: 'a', operator: 'Equals', value: '!b' }]],
  ])('%j', (input, expected) => {
    expect(parseFieldSelector(input)).toEqual(expected);
  });

  it.each([
    'a',
    'abc,d=e',
    'a=b=c',
    'a===b',
    'a=b\\',
    'a=b\\x',
    'a=\\n',
    '=b',
    ' ==b',
    '!=b',
    'a=b,c',
  ])('rejects %j with a 400', (input) => {
    const e = parseError(input);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toMatch(/^invalid field selector: /);
  });

  it('explains errors like Kubernetes', () => {
    expect(parseError('abc').message).toBe(
      "invalid field selector: can't understand 'abc': expected <field>=<value>, <field>==<value> or <field>!=<value>",
    );
    expect(parseError('a=b=c').message).toBe(
      "invalid field selector: unescaped character in value: = in 'a=b=c' (write \\=)",
    );
    expect(parseError('a=b\\x').message).toContain('invalid escape sequence: \\x');
    expect(parseError('a=b\\').message).toContain('invalid escape sequence: \\ at the end');
    expect(parseError('=b').message).toContain('missing field name');
  });

  it('rejects non-strings with a 400', () => {
    expect(() => parseFieldSelector(null as unknown as string)).toThrow(ApiError);
  });
});

describe('escaping', () => {
  it('round-trips any value', () => {
    for (const v of ['', 'plain', 'a,b', 'a=b', 'a\\b', '\\', ',,==\\\\', '🙂,=', 'x\\,y']) {
      const escaped = escapeFieldSelectorValue(v);
      expect(unescapeFieldSelectorValue(escaped)).toBe(v);
      expect(parseFieldSelector(`f=${escaped}`)).toEqual([
        { field: 'f', operator: 'Equals', value: v },
      ]);
    }
  });

  it('formats requirements back', () => {
    const reqs: FieldRequirement[] = [
      { field: 'metadata.name', operator: 'Equals', value: 'a,b' },
      { field: 'status.phase', operator: 'NotEquals', value: 'x=y\\' },
    ];
    expect(formatFieldSelector(reqs)).toBe('metadata.name=a\\,b,status.phase!=x\\=y\\\\');
    expect(parseFieldSelector(formatFieldSelector(reqs))).toEqual(reqs);
    expect(formatFieldSelector([])).toBe('');
  });
});

describe('matchesFields', () => {
  const pod = {
    'metadata.name': 'web-1',
    'metadata.namespace': 'a',
    'status.phase': 'Running',
    'spec.nodeName': '',
  };

  it('ANDs equality and inequality', () => {
    expect(matchesFields(parseFieldSelector(''), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name=web-1'), pod)).toBe(true);
    expect(
      matchesFields(parseFieldSelector('metadata.name==web-1,status.phase=Running'), pod),
    ).toBe(true);
    expect(
      matchesFields(parseFieldSelector('metadata.name=web-1,status.phase!=Running'), pod),
    ).toBe(false);
    expect(matchesFields(parseFieldSelector('status.phase!=Pending'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name=web-2'), pod)).toBe(false);
  });

  it('compares a missing field as the empty string', () => {
    expect(matchesFields(parseFieldSelector('spec.nodeName='), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.unknown='), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.unknown!='), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.unknown=x'), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.unknown!=x'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('constructor='), {})).toBe(true);
    expect(matchesFields(parseFieldSelector('a='), undefined)).toBe(true);
  });
});
