// Expected results follow Kubernetes' validation.Covers / BreakdownRule (component-helpers
// auth/rbac/validation/policy_comparator.go) and the ConfirmNoEscalation message
// (pkg/registry/rbac/validation/rule.go).
import { breakdownRule, compactRules, coversRules, escalationMessage } from './index';
import type { PolicyRule } from './index';

const rule = (
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
) => ({ apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) }) as PolicyRule;

describe('breakdownRule', () => {
  it('splits into one group × resource × verb (× name) each', () => {
    expect(breakdownRule(rule(['', 'apps'], ['a'], ['get', 'list']))).toEqual([
      rule([''], ['a'], ['get']),
      rule([''], ['a'], ['list']),
      rule(['apps'], ['a'], ['get']),
      rule(['apps'], ['a'], ['list']),
    ]);
    expect(breakdownRule(rule([''], ['pods'], ['get'], ['x', 'y']))).toEqual([
      rule([''], ['pods'], ['get'], ['x']),
      rule([''], ['pods'], ['get'], ['y']),
    ]);
    expect(breakdownRule({ nonResourceURLs: ['/a', '/b'], verbs: ['get'] })).toEqual([
      { nonResourceURLs: ['/a'], verbs: ['get'] },
      { nonResourceURLs: ['/b'], verbs: ['get'] },
    ]);
  });
});

describe('coversRules', () => {
  const view = rule([''], ['pods', 'services'], ['get', 'list', 'watch']);

  it('covers what is held and lists the atomic rules that are not', () => {
    expect(coversRules([view], [rule([''], ['pods'], ['get', 'list'])])).toEqual({
      covered: true,
      missing: [],
    });
    expect(coversRules([view], [rule([''], ['pods'], ['get', 'delete'])])).toEqual({
      covered: false,
      missing: [rule([''], ['pods'], ['delete'])],
    });
    expect(coversRules([view], [rule(['apps'], ['pods'], ['get'])])).toEqual({
      covered: false,
      missing: [rule(['apps'], ['pods'], ['get'])],
    });
    expect(coversRules([], [])).toEqual({ covered: true, missing: [] });
  });

  it('may combine several held rules, each atomic rule covered by one of them', () => {
    const held = [rule([''], ['pods'], ['get']), rule([''], ['pods'], ['list'])];
    expect(coversRules(held, [rule([''], ['pods'], ['get', 'list'])]).covered).toBe(true);
  });

  it('covers wildcard requests only with wildcards', () => {
    const allVerbs = [
      'get',
      'list',
      'watch',
      'create',
      'update',
      'patch',
      'delete',
      'deletecollection',
    ];
    // every verb listed is still not "*"
    expect(coversRules([rule([''], ['pods'], allVerbs)], [rule([''], ['pods'], ['*'])])).toEqual({
      covered: false,
      missing: [rule([''], ['pods'], ['*'])],
    });
    expect(coversRules([view], [rule([''], ['*'], ['get'])]).covered).toBe(false);
    expect(coversRules([view], [rule(['*'], ['pods'], ['get'])]).covered).toBe(false);
    // held wildcards cover anything of their kind
    const admin = rule(['*'], ['*'], ['*']);
    expect(
      coversRules([admin], [rule(['*'], ['*'], ['*']), rule(['apps'], ['x/scale'], ['get'])]),
    ).toEqual({
      covered: true,
      missing: [],
    });
    expect(coversRules([rule([''], ['*'], ['get'])], [rule([''], ['*'], ['get'])]).covered).toBe(
      true,
    );
  });

  it('lets */subresource cover that subresource of any resource', () => {
    const scale = rule(['apps'], ['*/scale'], ['patch']);
    expect(
      coversRules([scale], [rule(['apps'], ['deployments/scale', 'replicasets/scale'], ['patch'])])
        .covered,
    ).toBe(true);
    expect(coversRules([scale], [rule(['apps'], ['deployments'], ['patch'])]).covered).toBe(false);
  });

  it('treats resourceNames as a narrowing', () => {
    const onlyWeb = rule(['apps'], ['deployments'], ['get'], ['web']);
    const every = rule(['apps'], ['deployments'], ['get']);
    // a rule without names covers a named request; a named rule never covers an unnamed one
    expect(coversRules([every], [onlyWeb]).covered).toBe(true);
    expect(coversRules([onlyWeb], [every]).covered).toBe(false);
    expect(
      coversRules([onlyWeb], [rule(['apps'], ['deployments'], ['get'], ['web', 'api'])]),
    ).toEqual({
      covered: false,
      missing: [rule(['apps'], ['deployments'], ['get'], ['api'])],
    });
  });

  it('matches non-resource URLs by exact path or trailing *', () => {
    const held: PolicyRule[] = [{ nonResourceURLs: ['/healthz/*', '/metrics'], verbs: ['get'] }];
    expect(
      coversRules(held, [{ nonResourceURLs: ['/healthz/ready', '/metrics'], verbs: ['get'] }])
        .covered,
    ).toBe(true);
    expect(coversRules(held, [{ nonResourceURLs: ['/debug'], verbs: ['get'] }]).missing).toEqual([
      { nonResourceURLs: ['/debug'], verbs: ['get'] },
    ]);
    // resource rules do not hold URLs, and URL rules do not hold resources
    expect(
      coversRules([rule(['*'], ['*'], ['*'])], [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }])
        .covered,
    ).toBe(false);
    expect(
      coversRules([{ nonResourceURLs: ['*'], verbs: ['*'] }], [rule([''], ['pods'], ['get'])])
        .covered,
    ).toBe(false);
  });
});

describe('compactRules', () => {
  it('merges single group/resource rules by verb and keeps the others', () => {
    expect(
      compactRules([
        rule([''], ['pods'], ['create']),
        rule([''], ['pods'], ['delete']),
        rule([''], ['pods'], ['get'], ['x']),
        rule(['apps'], ['deployments'], ['patch']),
      ]),
    ).toEqual([
      rule([''], ['pods'], ['get'], ['x']),
      rule([''], ['pods'], ['create', 'delete']),
      rule(['apps'], ['deployments'], ['patch']),
    ]);
  });
});

describe('escalationMessage', () => {
  it('words the error like Kubernetes, one compacted rule per line, sorted', () => {
    const { missing } = coversRules(
      [rule([''], ['pods'], ['get'])],
      [
        rule([''], ['secrets', 'pods'], ['create', 'delete']),
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        rule(['apps'], ['deployments'], ['patch'], ['web']),
      ],
    );
    expect(
      escalationMessage({ name: 'alice', groups: ['devs', 'system:authenticated'] }, missing),
    ).toBe(
      [
        'user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
        '{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}',
        '{APIGroups:[""], Resources:["secrets"], Verbs:["create" "delete"]}',
        '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["patch"]}',
        '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
      ].join('\n'),
    );
    expect(escalationMessage({ name: 'bob', groups: [] }, [rule([''], ['pods'], ['delete'])])).toBe(
      'user "bob" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    );
  });
});
