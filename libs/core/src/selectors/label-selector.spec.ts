import { ApiError } from '../api/status';
import {
  formatLabelRequirement,
  formatLabelSelector,
  LabelSelector,
  labelSelectorFromObject,
  LabelSelectorObject,
  matchesLabels,
  parseLabelSelector,
  validateLabelSelectorObject,
} from './index';

function parseError(s: string): ApiError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseLabelSelector', () => {
  it.each<[string, LabelSelector]>([
    ['', []],
    ['   ', []],
    ['a=b', [{ key: 'a', operator: 'Equals', values: ['b'] }]],
    ['a==b', [{ key: 'a', operator: 'Equals', values: ['b'] }]],
    ['a!=b', [{ key: 'a', operator: 'NotEquals', values: ['b'] }]],
    ['a', [{ key: 'a', operator: 'Exists', values: [] }]],
    ['!a', [{ key: 'a', operator: 'DoesNotExist', values: [] }]],
    ['! a', [{ key: 'a', operator: 'DoesNotExist', values: [] }]],
    ['a=', [{ key: 'a', operator: 'Equals', values: [''] }]],
    ['a!=', [{ key: 'a', operator: 'NotEquals', values: [''] }]],
    ['a in (x,y)', [{ key: 'a', operator: 'In', values: ['x', 'y'] }]],
    ['a in (y, x, y)', [{ key: 'a', operator: 'In', values: ['x', 'y'] }]],
    ['a notin (x, y)', [{ key: 'a', operator: 'NotIn', values: ['x', 'y'] }]],
    ['a in(x)', [{ key: 'a', operator: 'In', values: ['x'] }]],
    ['a in (,)', [{ key: 'a', operator: 'In', values: [''] }]],
    ['a in (x,)', [{ key: 'a', operator: 'In', values: ['', 'x'] }]],
    ['a in (,x)', [{ key: 'a', operator: 'In', values: ['', 'x'] }]],
    ['a in (x,,y)', [{ key: 'a', operator: 'In', values: ['', 'x', 'y'] }]],
    ['a in (in, notin)', [{ key: 'a', operator: 'In', values: ['in', 'notin'] }]],
    ['notin=in', [{ key: 'notin', operator: 'Equals', values: ['in'] }]],
    ['in in (in)', [{ key: 'in', operator: 'In', values: ['in'] }]],
    [
      'app.kubernetes.io/name=web',
      [{ key: 'app.kubernetes.io/name', operator: 'Equals', values: ['web'] }],
    ],
    [
      ' app = web ,\ttier in ( a , b )\n, !canary ',
      [
        { key: 'app', operator: 'Equals', values: ['web'] },
        { key: 'canary', operator: 'DoesNotExist', values: [] },
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
      ],
    ],
    [
      'x=a,a=x',
      [
        { key: 'a', operator: 'Equals', values: ['x'] },
        { key: 'x', operator: 'Equals', values: ['a'] },
      ],
    ],
    [
      'a=1,a!=2',
      [
        { key: 'a', operator: 'Equals', values: ['1'] },
        { key: 'a', operator: 'NotEquals', values: ['2'] },
      ],
    ],
    [
      'x= ,z= ',
      [
        { key: 'x', operator: 'Equals', values: [''] },
        { key: 'z', operator: 'Equals', values: [''] },
      ],
    ],
    [
      'Upper_Case.ok=Also_OK-1',
      [{ key: 'Upper_Case.ok', operator: 'Equals', values: ['Also_OK-1'] }],
    ],
  ])('%j', (input, expected) => {
    expect(parseLabelSelector(input)).toEqual(expected);
  });

  it('round-trips through formatLabelSelector like Kubernetes String()', () => {
    for (const s of [
      'x=a,y=b,z=c',
      'x!=a,y=b',
      'x=',
      'x=,z=',
      '!x',
      'x in (a,b)',
      'x notin (a)',
      'app.kubernetes.io/name=web,tier in (a,b)',
      'a,!b,c=d,e!=f,g in (h,i),j notin (k,l)',
    ]) {
      expect(formatLabelSelector(parseLabelSelector(s))).toBe(s);
    }
    expect(formatLabelSelector(parseLabelSelector('x = a , y in ( c, b )'))).toBe('x=a,y in (b,c)');
    expect(formatLabelSelector(parseLabelSelector('a==b'))).toBe('a=b');
    expect(formatLabelSelector(parseLabelSelector('a in (,)'))).toBe('a in (,)');
    expect(parseLabelSelector(formatLabelSelector(parseLabelSelector('a in (,x)')))).toEqual(
      parseLabelSelector('a in (,x)'),
    );
  });

  it.each([
    'x=a||y=b',
    'x==a==b',
    '!x=a',
    'x<a',
    'x>1',
    'x>1,z<5',
    ',',
    'a,',
    ',a',
    'a,,b',
    'a b',
    'a=b c',
    'a=(b)',
    'a=!b',
    'a===b',
    'a in b',
    'a in (b',
    'a in (b c)',
    'a in (b))',
    'a notin',
    'a in',
    'a (b)',
    '(a)',
    '!',
    '!!a',
    '!a!=b',
    '=b',
    'a b=c',
    'bad key=a',
    'Bad.Prefix/a=b',
    '/a=b',
    'a/b/c=d',
    'a=bad value',
    'a=-b',
    'a=b/c',
    `a=${'x'.repeat(64)}`,
    `${'k'.repeat(64)}=v`,
    'a in (ok,-bad)',
    'café=1',
    'a=🙂',
    'a=b,🙂',
  ])('rejects %j with a 400', (input) => {
    const e = parseError(input);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toMatch(/^invalid label selector /);
  });

  it("refuses an empty set: 'a notin ()' would match every object without the label", () => {
    for (const s of ['a in ()', 'a notin ()', 'x=y,a notin ( )']) {
      expect(parseError(s).message).toMatch(
        /found '\)' at column \d+, expected: identifier: the set of an 'in' or 'notin' requirement must name at least one value/,
      );
    }
  });

  it('says what was found where', () => {
    expect(parseError('a in b').message).toBe(
      `invalid label selector "a in b": unable to parse requirement: found 'b' at column 6, expected: '('`,
    );
    expect(parseError('a in (b').message).toBe(
      `invalid label selector "a in (b": unable to parse requirement: found end of string, expected: ',' or ')'`,
    );
    expect(parseError('a,').message).toBe(
      `invalid label selector "a,": found end of string, expected: identifier after ','`,
    );
    expect(parseError(',a').message).toBe(
      `invalid label selector ",a": found ',' at column 1, expected: '!', identifier, or end of string`,
    );
    expect(parseError('!x=a').message).toBe(
      `invalid label selector "!x=a": found '=' at column 3, expected: ',' or end of string`,
    );
    expect(parseError('a (b)').message).toBe(
      `invalid label selector "a (b)": unable to parse requirement: found '(' at column 3, expected: =, ==, !=, in, notin`,
    );
    expect(parseError('x>1').message).toContain('numeric comparisons are not supported');
    expect(parseError('bad key=a').message).toContain(
      `found 'key' at column 5, expected: =, ==, !=, in, notin`,
    );
    expect(parseError('_key!=a').message).toContain(
      'invalid label key "_key": name part must consist of',
    );
    expect(parseError('a=-b').message).toContain(
      `invalid label value "-b" for key "a": a valid label must be an empty string or consist of`,
    );
  });

  it('truncates huge selectors in messages', () => {
    for (const huge of [
      `${'a'.repeat(10_000)} (`,
      `${'-'.repeat(10_000)}=a`,
      `a=${'-'.repeat(10_000)}`,
    ]) {
      expect(parseError(huge).message.length).toBeLessThan(1000);
    }
  });

  it('rejects non-strings with a 400', () => {
    expect(() => parseLabelSelector(5 as unknown as string)).toThrow(ApiError);
  });

  it('never throws anything but ApiError on random input', () => {
    const alphabet = 'ab=!(), \tinotx/.-_';
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let s = '';
      for (let j = rand(14); j > 0; j--) s += alphabet[rand(alphabet.length)];
      try {
        const sel = parseLabelSelector(s);
        // whatever parses is canonical after one round of formatting
        const formatted = formatLabelSelector(sel);
        expect(parseLabelSelector(formatted)).toEqual(sel);
      } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        expect((e as ApiError).code).toBe(400);
      }
    }
  });
});

describe('matchesLabels', () => {
  const expectMatch = (s: string, labels: Record<string, string> | undefined) =>
    expect(matchesLabels(parseLabelSelector(s), labels)).toBe(true);
  const expectNoMatch = (s: string, labels: Record<string, string> | undefined) =>
    expect(matchesLabels(parseLabelSelector(s), labels)).toBe(false);

  it('follows Kubernetes semantics', () => {
    expectMatch('', { x: 'y' });
    expectMatch('', undefined);
    expectMatch('x=y', { x: 'y' });
    expectMatch('x=y,z=w', { x: 'y', z: 'w' });
    expectMatch('x!=y,z!=w', { x: 'z', z: 'a' });
    expectMatch('notin=in', { notin: 'in' });
    expectMatch('x', { x: 'z' });
    expectMatch('x', { x: '' });
    expectMatch('!x', { y: 'z' });
    expectMatch('!x', undefined);
    expectMatch('x!=y', {}); // a missing label is "not equal"
    expectMatch('x notin (a,b)', {});
    expectMatch('x notin (a,b)', { x: 'c' });
    expectMatch('x in (a,b)', { x: 'b' });
    expectMatch('x=', { x: '' });
    expectMatch('x in (,)', { x: '' });
    expectNoMatch('x=z', {});
    expectNoMatch('x=z', undefined);
    expectNoMatch('x=y', { x: 'z' });
    expectNoMatch('x=y,z=w', { x: 'w', z: 'w' });
    expectNoMatch('x!=y,z!=w', { x: 'z', z: 'w' });
    expectNoMatch('x', { y: 'z' });
    expectNoMatch('!x', { x: 'z' });
    expectNoMatch('x in (a,b)', {});
    expectNoMatch('x in (a,b)', { x: 'c' });
    expectNoMatch('x notin (a,b)', { x: 'a' });
    expectNoMatch('x=', {}); // equality requires presence, even with the empty value
  });

  it('ignores inherited properties', () => {
    expectNoMatch('constructor', {});
    expectNoMatch('toString=x', {});
    expectMatch('!hasOwnProperty', {});
  });

  it('matches label sets from Kubernetes tests', () => {
    const labels = { foo: 'bar', baz: 'blah' };
    expectMatch('foo=bar', labels);
    expectMatch('baz=blah', labels);
    expectMatch('foo=bar,baz=blah', labels);
    expectNoMatch('foo=blah', labels);
    expectNoMatch('baz=bar', labels);
    expectNoMatch('foo=bar,foobar=bar,baz=blah', labels);
  });
});

describe('labelSelectorFromObject', () => {
  it('converts matchLabels and matchExpressions, sorted by key', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { tier: 'web', app: 'shop' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'dev', 'prod'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'NotIn', values: ['b'] },
        { key: 'gpu', operator: 'Exists', values: [] },
      ],
    });
    expect(sel).toEqual([
      { key: 'app', operator: 'Equals', values: ['shop'] },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
      { key: 'env', operator: 'In', values: ['dev', 'prod'] },
      { key: 'gpu', operator: 'Exists', values: [] },
      { key: 'tier', operator: 'Equals', values: ['web'] },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
    ]);
    expect(formatLabelSelector(sel)).toBe(
      'app=shop,!canary,env in (dev,prod),gpu,tier=web,zone notin (b)',
    );
    expect(parseLabelSelector(formatLabelSelector(sel))).toEqual(sel);
  });

  it('treats an empty selector as everything', () => {
    expect(labelSelectorFromObject({})).toEqual([]);
    expect(matchesLabels(labelSelectorFromObject({}), { any: 'thing' })).toBe(true);
  });

  it('matches like the equivalent string', () => {
    const sel = labelSelectorFromObject({ matchLabels: { app: 'web' } });
    expect(matchesLabels(sel, { app: 'web', x: 'y' })).toBe(true);
    expect(matchesLabels(sel, { app: 'db' })).toBe(false);
  });

  it.each<[string, unknown, string]>([
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      'selector.matchExpressions[0].values',
    ],
    [
      'NotIn with []',
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
      'selector.matchExpressions[0].values',
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'selector.matchExpressions[0].values',
    ],
    [
      'unknown operator',
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] },
      'selector.matchExpressions[0].operator',
    ],
    [
      'Gt operator',
      { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] },
      'selector.matchExpressions[0].operator',
    ],
    [
      'bad key',
      { matchExpressions: [{ key: 'bad key', operator: 'Exists' }] },
      'selector.matchExpressions[0].key',
    ],
    [
      'missing key',
      { matchExpressions: [{ operator: 'Exists' }] },
      'selector.matchExpressions[0].key',
    ],
    [
      'bad value',
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] },
      'selector.matchExpressions[0].values[1]',
    ],
    ['bad matchLabels key', { matchLabels: { 'bad key': 'v' } }, 'selector.matchLabels'],
    ['bad matchLabels value', { matchLabels: { a: 'bad value' } }, 'selector.matchLabels'],
    ['non-string matchLabels value', { matchLabels: { a: 1 } }, 'selector.matchLabels'],
    ['matchExpressions not a list', { matchExpressions: {} }, 'selector.matchExpressions'],
    ['expression not an object', { matchExpressions: ['a'] }, 'selector.matchExpressions[0]'],
    [
      'values not a list',
      { matchExpressions: [{ key: 'a', operator: 'In', values: 'x' }] },
      'selector.matchExpressions[0].values',
    ],
    ['not an object', 'app=web', 'selector'],
    ['null', null, 'selector'],
  ])('rejects %s with a 400 naming %s', (_name, input, field) => {
    let err: unknown;
    try {
      labelSelectorFromObject(input as LabelSelectorObject);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    const api = err as ApiError;
    expect(api.code).toBe(400);
    expect(api.details?.causes?.map((c) => c.field)).toContain(field);
    expect(api.message).toContain(field);
  });
});

describe('validateLabelSelectorObject', () => {
  it('words causes like Kubernetes ValidateLabelSelector', () => {
    expect(
      validateLabelSelectorObject(
        {
          matchExpressions: [
            { key: 'a', operator: 'In' },
            { key: 'b', operator: 'Exists', values: ['x'] },
            { key: 'c', operator: 'Bogus' },
          ],
        },
        'spec.selector',
      ),
    ).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.selector.matchExpressions[0].values',
        message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      },
      {
        reason: 'FieldValueForbidden',
        field: 'spec.selector.matchExpressions[1].values',
        message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector.matchExpressions[2].operator',
        message: 'Invalid value: "Bogus": not a valid selector operator',
      },
    ]);
    expect(validateLabelSelectorObject(undefined, 'spec.selector')).toEqual([]);
    expect(validateLabelSelectorObject({ matchLabels: { app: 'web' } }, 'spec.selector')).toEqual(
      [],
    );
  });
});

describe('formatLabelRequirement', () => {
  it('prints every operator', () => {
    expect(formatLabelRequirement({ key: 'a', operator: 'Exists', values: [] })).toBe('a');
    expect(formatLabelRequirement({ key: 'a', operator: 'DoesNotExist', values: [] })).toBe('!a');
    expect(formatLabelRequirement({ key: 'a', operator: 'Equals', values: ['b'] })).toBe('a=b');
    expect(formatLabelRequirement({ key: 'a', operator: 'NotEquals', values: ['b'] })).toBe('a!=b');
    expect(formatLabelRequirement({ key: 'a', operator: 'In', values: ['c', 'b'] })).toBe(
      'a in (b,c)',
    );
    expect(formatLabelRequirement({ key: 'a', operator: 'NotIn', values: ['b'] })).toBe(
      'a notin (b)',
    );
    expect(formatLabelRequirement({ key: 'a', operator: 'Equals', values: [] })).toBe('a=');
    expect(formatLabelSelector([])).toBe('');
  });
});
