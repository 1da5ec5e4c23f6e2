import { errors, ignoreNotFound, isAlreadyExists, isConflict, isNotFound } from './status';

describe('Status error helpers', () => {
  const notFound = errors.notFound('pods', 'p');
  const conflict = errors.conflict('pods', 'p', 'the object has been modified');
  const exists = errors.alreadyExists('pods', 'p');

  it('tells NotFound, Conflict and AlreadyExists apart (both 409s are not the same)', () => {
    expect([isNotFound(notFound), isNotFound(conflict), isNotFound(new Error('x'))]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isConflict(conflict), isConflict(exists), isConflict(undefined)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isAlreadyExists(exists), isAlreadyExists(conflict)]).toEqual([true, false]);
    // A Status-shaped error from elsewhere (a client) counts by its reason too.
    expect(isNotFound({ reason: 'NotFound' })).toBe(true);
  });

  it('ignoreNotFound swallows only NotFound', () => {
    expect(() => ignoreNotFound(notFound)).not.toThrow();
    expect(() => ignoreNotFound(conflict)).toThrow(conflict);
  });
});
