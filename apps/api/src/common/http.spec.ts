import http from 'node:http';
import { MAX_BODY_DEPTH, nestedDeeperThan, warningHeader } from './http';

describe('warningHeader', () => {
  // Node's own check of header values (what made setHeader throw and the request answer 500).
  const accepted = (value: string) => {
    try {
      http.validateHeaderValue('Warning', value);
      return true;
    } catch {
      return false;
    }
  };

  it('quotes the text', () => {
    expect(warningHeader('unknown field "spec.x"')).toBe('299 - "unknown field \\"spec.x\\""');
  });

  it('gives a value Node accepts for any text, with the text as UTF-8 bytes', () => {
    for (const text of ['unknown field "\ufffd"', 'unknown field "\u0000"', 'a\r\nb', 'é', '中文'])
      expect(accepted(warningHeader(text))).toBe(true);
    const value = warningHeader('unknown field "é\ufffd"');
    expect(Buffer.from(value, 'latin1').toString('utf8')).toBe(
      '299 - "unknown field \\"é\ufffd\\""',
    );
    expect(warningHeader('a\u0000b\nc')).toBe('299 - "a b c"');
  });
});

describe('nestedDeeperThan', () => {
  const deep = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));

  it('measures objects and arrays, without recursion', () => {
    expect(nestedDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(nestedDeeperThan('x', 0)).toBe(false);
    expect(nestedDeeperThan(deep(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(nestedDeeperThan(deep(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH)).toBe(true);
    expect(nestedDeeperThan(deep(200_000), MAX_BODY_DEPTH)).toBe(true);
  });
});
