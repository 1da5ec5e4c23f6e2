import { isOverload } from './status-exception.filter';

describe('isOverload', () => {
  it('recognises a transaction that could not start and a pool that had no connection', () => {
    expect(isOverload({ code: 'P2028', message: 'Transaction API error' })).toBe(true);
    expect(
      isOverload(
        new Error(
          'Invalid `prisma.$transaction()` invocation:\n\nTransaction API error: Unable to start a transaction in the given time.',
        ),
      ),
    ).toBe(true);
    expect(isOverload(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('leaves other errors alone', () => {
    expect(isOverload(new Error('relation "objects" does not exist'))).toBe(false);
    expect(isOverload(undefined)).toBe(false);
    expect(isOverload('text')).toBe(false);
  });
});
