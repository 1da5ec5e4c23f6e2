import http from 'node:http';
import { warningHeader } from './http';

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
