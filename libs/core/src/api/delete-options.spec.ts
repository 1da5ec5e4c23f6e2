import { parseDeleteOptions } from './delete-options';
import { ApiError } from './status';
import { checkResourceVersion, parseListParameters, pathSegmentProblems } from './list-options';

const noQuery = () => undefined;
const query =
  (q: Record<string, string[]>) =>
  (name: string): string[] | undefined =>
    q[name];

function refusal(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('not refused');
}

describe('parseDeleteOptions (meta/v1 DeleteOptions)', () => {
  it('reads the body when there is one, else the query parameters', () => {
    expect(parseDeleteOptions({ dryRun: ['All'], gracePeriodSeconds: 3 }, noQuery)).toEqual({
      dryRun: true,
      gracePeriodSeconds: 3,
    });
    expect(
      parseDeleteOptions(undefined, query({ dryRun: ['All'], propagationPolicy: ['Orphan'] })),
    ).toEqual({ dryRun: true, propagationPolicy: 'Orphan' });
    // Query parameters beside a body are not read (as kube-apiserver)… except a dry run.
    expect(parseDeleteOptions({}, query({ propagationPolicy: ['Orphan'] }))).toEqual({
      dryRun: false,
    });
    expect(parseDeleteOptions({}, query({ dryRun: ['All'] })).dryRun).toBe(true);
  });

  it('maps orphanDependents to a policy', () => {
    expect(parseDeleteOptions({ orphanDependents: true }, noQuery)).toMatchObject({
      propagationPolicy: 'Orphan',
      orphanDependents: true,
    });
    expect(parseDeleteOptions(undefined, query({ orphanDependents: ['false'] }))).toMatchObject({
      propagationPolicy: 'Background',
      orphanDependents: false,
    });
  });

  it.each([
    [{ preconditions: 'x' }, 400],
    [{ gracePeriodSeconds: 'abc' }, 400],
    [{ dryRun: 'All' }, 400],
    [{ orphanDependents: 1 }, 400],
    [{ kind: 'Pod' }, 400],
    ['text', 400],
    [{ dryRun: ['Bogus'] }, 422],
    [{ propagationPolicy: 'Sideways' }, 422],
    [{ propagationPolicy: 'Orphan', orphanDependents: false }, 422],
    [{ gracePeriodSeconds: -5 }, 422],
    [{ gracePeriodSeconds: -1 }, 422],
  ])('refuses %j with %i', (body, code) => {
    expect(refusal(() => parseDeleteOptions(body, noQuery)).code).toBe(code);
  });

  it('refuses malformed query parameters', () => {
    expect(
      refusal(() => parseDeleteOptions(undefined, query({ gracePeriodSeconds: ['abc'] }))).code,
    ).toBe(400);
    expect(refusal(() => parseDeleteOptions(undefined, query({ dryRun: ['Bogus'] }))).code).toBe(
      422,
    );
  });
});

describe('parseListParameters and checkResourceVersion', () => {
  it('refuses what ValidateListOptions refuses', () => {
    expect(refusal(() => parseListParameters({ resourceVersion: 'garbage' }, false))).toEqual({
      code: 400,
      message: expect.stringContaining('invalid resource version'),
    });
    for (const p of [
      { resourceVersionMatch: 'Exact' },
      { resourceVersionMatch: 'Bogus', resourceVersion: '5' },
      { resourceVersionMatch: 'Exact', resourceVersion: '0' },
      { resourceVersionMatch: 'Exact', resourceVersion: '5', continue: 'x' },
    ])
      expect(refusal(() => parseListParameters(p, false)).code).toBe(422);
    expect(
      refusal(() => parseListParameters({ resourceVersionMatch: 'NotOlderThan' }, true)).code,
    ).toBe(422);
    expect(
      refusal(() => parseListParameters({ resourceVersion: '5', continue: 'x' }, false)).code,
    ).toBe(400);
  });

  it('compares the revision asked for with the current one', () => {
    const at = (rv: string, match?: string) =>
      checkResourceVersion(
        parseListParameters({ resourceVersion: rv, resourceVersionMatch: match }, false),
        10n,
      )?.code;
    expect(at('0')).toBeUndefined();
    expect(at('5')).toBeUndefined();
    expect(at('10', 'Exact')).toBeUndefined();
    expect(at('5', 'Exact')).toBe(410);
    expect(at('11')).toBe(400);
    expect(at('11', 'Exact')).toBe(400);
  });

  it('knows the path segments Kubernetes refuses', () => {
    expect(pathSegmentProblems('..')).toEqual(["may not be '..'"]);
    expect(pathSegmentProblems('.')).toEqual(["may not be '.'"]);
    expect(pathSegmentProblems('a/b%')).toEqual(["may not contain '/'", "may not contain '%'"]);
    expect(pathSegmentProblems('a.b')).toEqual([]);
  });
});
