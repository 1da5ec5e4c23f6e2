// Expected decisions follow Kubernetes' RBAC authorizer (plugin/pkg/auth/authorizer/rbac,
// pkg/registry/rbac/validation/rule.go) and the RBAC documentation
// (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).
import {
  authorize,
  ruleAllows,
  rulesFor,
  serviceAccountUser,
  type PolicyRule,
  type RbacObject,
  type RbacPolicy,
  type RequestAttributes,
} from './index';

const RBAC = 'rbac.authorization.k8s.io';

function attrs(
  verb: string,
  resource: string,
  opts: Partial<RequestAttributes> & { as?: string; groups?: string[] } = {},
): RequestAttributes {
  const { as, groups, ...rest } = opts;
  const [res, sub] = resource.split('/');
  return {
    user: { name: as ?? 'alice', groups: groups ?? ['system:authenticated'] },
    verb,
    apiGroup: '',
    resource: res!,
    ...(sub ? { subresource: sub } : {}),
    resourceRequest: true,
    ...rest,
  };
}

function nonResource(verb: string, path: string, as = 'alice'): RequestAttributes {
  return {
    user: { name: as, groups: [] },
    verb,
    apiGroup: '',
    resource: '',
    path,
    resourceRequest: false,
  };
}

describe('ruleAllows', () => {
  const podsRead: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };

  it('matches verb, API group and resource exactly', () => {
    expect(ruleAllows(podsRead, attrs('get', 'pods', { namespace: 'a', name: 'p' }))).toBe(true);
    expect(ruleAllows(podsRead, attrs('list', 'pods', { namespace: 'a' }))).toBe(true);
    expect(ruleAllows(podsRead, attrs('delete', 'pods', { namespace: 'a', name: 'p' }))).toBe(
      false,
    );
    expect(ruleAllows(podsRead, attrs('get', 'services', { namespace: 'a' }))).toBe(false);
    // the core group is "", a different group does not match
    expect(ruleAllows(podsRead, attrs('get', 'pods', { apiGroup: 'apps', namespace: 'a' }))).toBe(
      false,
    );
  });

  it('treats * as every verb, API group and resource', () => {
    const all: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
    expect(ruleAllows(all, attrs('escalate', 'clusterroles', { apiGroup: RBAC }))).toBe(true);
    expect(ruleAllows(all, attrs('get', 'pods/log', { namespace: 'a', name: 'p' }))).toBe(true);
    expect(
      ruleAllows(
        { apiGroups: ['apps'], resources: ['*'], verbs: ['get'] },
        attrs('get', 'deployments/scale', { apiGroup: 'apps', name: 'web' }),
      ),
    ).toBe(true);
  });

  it('needs the subresource named: pods does not grant pods/log', () => {
    const attrsLog = attrs('get', 'pods/log', { namespace: 'a', name: 'p' });
    expect(ruleAllows(podsRead, attrsLog)).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, attrsLog)).toBe(
      true,
    );
    // and pods/log does not grant the pod itself
    expect(
      ruleAllows(
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        attrs('get', 'pods', { namespace: 'a', name: 'p' }),
      ),
    ).toBe(false);
  });

  it('matches */scale against the scale subresource of any resource', () => {
    const scale: PolicyRule = { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch'] };
    const apps = { apiGroup: 'apps', namespace: 'a', name: 'web' };
    expect(ruleAllows(scale, attrs('patch', 'deployments/scale', apps))).toBe(true);
    expect(ruleAllows(scale, attrs('patch', 'replicasets/scale', apps))).toBe(true);
    expect(ruleAllows(scale, attrs('patch', 'deployments', apps))).toBe(false);
    expect(ruleAllows(scale, attrs('patch', 'deployments/status', apps))).toBe(false);
  });

  it('does not treat pods/* as a wildcard (Kubernetes rejects it on purpose)', () => {
    // kubernetes/kubernetes#78936, kubernetes/enhancements#4961: only "*" and "*/<sub>" are
    // wildcards; "pods/*" would grant every future subresource.
    const podsStar: PolicyRule = { apiGroups: [''], resources: ['pods/*'], verbs: ['get'] };
    expect(ruleAllows(podsStar, attrs('get', 'pods/log', { namespace: 'a', name: 'p' }))).toBe(
      false,
    );
    expect(ruleAllows(podsStar, attrs('get', 'pods', { namespace: 'a', name: 'p' }))).toBe(false);
  });

  it('restricts by resourceNames only when some are listed', () => {
    const web: PolicyRule = {
      apiGroups: ['apps'],
      resources: ['deployments'],
      resourceNames: ['web'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'delete', 'deletecollection'],
    };
    const apps = { apiGroup: 'apps', namespace: 'a' };
    expect(ruleAllows(web, attrs('get', 'deployments', { ...apps, name: 'web' }))).toBe(true);
    expect(ruleAllows(web, attrs('update', 'deployments', { ...apps, name: 'web' }))).toBe(true);
    expect(ruleAllows(web, attrs('get', 'deployments', { ...apps, name: 'api' }))).toBe(false);
    // requests without a name are never allowed by a rule with resourceNames
    expect(ruleAllows(web, attrs('list', 'deployments', apps))).toBe(false);
    expect(ruleAllows(web, attrs('watch', 'deployments', apps))).toBe(false);
    expect(ruleAllows(web, attrs('create', 'deployments', apps))).toBe(false);
    expect(ruleAllows(web, attrs('deletecollection', 'deployments', apps))).toBe(false);
    // an empty list restricts nothing
    expect(
      ruleAllows(
        { ...web, resourceNames: [] },
        attrs('get', 'deployments', { ...apps, name: 'api' }),
      ),
    ).toBe(true);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix', () => {
    const rule: PolicyRule = { nonResourceURLs: ['/metrics', '/healthz/*'], verbs: ['get'] };
    expect(ruleAllows(rule, nonResource('get', '/metrics'))).toBe(true);
    expect(ruleAllows(rule, nonResource('get', '/metrics/extra'))).toBe(false);
    expect(ruleAllows(rule, nonResource('get', '/healthz/ready'))).toBe(true);
    expect(ruleAllows(rule, nonResource('get', '/healthz/'))).toBe(true);
    expect(ruleAllows(rule, nonResource('get', '/healthz'))).toBe(false);
    expect(ruleAllows(rule, nonResource('post', '/metrics'))).toBe(false);
    expect(ruleAllows({ nonResourceURLs: ['*'], verbs: ['*'] }, nonResource('put', '/x'))).toBe(
      true,
    );
  });

  it('keeps resource rules and non-resource rules apart', () => {
    const all: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
    expect(ruleAllows(all, nonResource('get', '/metrics'))).toBe(false);
    const urls: PolicyRule = { nonResourceURLs: ['*'], verbs: ['*'] };
    expect(ruleAllows(urls, attrs('get', 'pods', { namespace: 'a' }))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

const clusterRole = (name: string, rules: PolicyRule[]): RbacObject => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const role = (namespace: string, name: string, rules: PolicyRule[]): RbacObject => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'Role',
  metadata: { name, namespace },
  rules,
});
const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  namespace: string | undefined,
  roleRef: { kind: string; name: string },
  subjects: Record<string, string>[],
): RbacObject => ({
  apiVersion: `${RBAC}/v1`,
  kind,
  metadata: namespace ? { name, namespace } : { name },
  roleRef: { apiGroup: RBAC, ...roleRef },
  subjects,
});
const user = (name: string) => ({ kind: 'User', apiGroup: RBAC, name });
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });

const everything: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];
const readPods: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
];
const deploy: PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'update', 'patch'] },
];

const policy: RbacPolicy = {
  clusterRoles: [clusterRole('cluster-admin', everything), clusterRole('pod-reader', readPods)],
  roles: [role('team-a', 'deployer', deploy)],
  clusterRoleBindings: [
    binding(
      'ClusterRoleBinding',
      'ops',
      undefined,
      { kind: 'ClusterRole', name: 'cluster-admin' },
      [group('ops')],
    ),
  ],
  roleBindings: [
    binding('RoleBinding', 'alice-reads', 'team-a', { kind: 'ClusterRole', name: 'pod-reader' }, [
      user('alice'),
    ]),
    binding('RoleBinding', 'deployers', 'team-a', { kind: 'Role', name: 'deployer' }, [
      group('devs'),
      { kind: 'ServiceAccount', name: 'ci', namespace: 'team-a' },
    ]),
    // same Role name, but the Role lives in team-a: a RoleBinding only sees its own namespace
    binding('RoleBinding', 'deployers', 'team-b', { kind: 'Role', name: 'deployer' }, [
      group('devs'),
    ]),
    // a service account without a namespace is the binding's namespace's
    binding('RoleBinding', 'local-sa', 'team-c', { kind: 'ClusterRole', name: 'pod-reader' }, [
      { kind: 'ServiceAccount', name: 'builder' },
    ]),
  ],
};

describe('authorize', () => {
  it('denies by default, with no reason', () => {
    expect(authorize(attrs('get', 'pods', { as: 'mallory', namespace: 'team-a' }), policy)).toEqual(
      { allowed: false, reason: '' },
    );
  });

  it('grants a ClusterRoleBinding everywhere and names binding, role and subject', () => {
    const ops = { as: 'olga', groups: ['ops', 'system:authenticated'] };
    expect(authorize(attrs('delete', 'nodes', { ...ops, name: 'n1' }), policy)).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "cluster-admin" to Group "ops"',
    });
    expect(
      authorize(attrs('create', 'pods', { ...ops, namespace: 'team-z' }), policy).allowed,
    ).toBe(true);
    expect(
      authorize(
        { ...nonResource('get', '/metrics'), user: { name: 'olga', groups: ['ops'] } },
        policy,
      ),
    ).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "cluster-admin" to Group "ops"',
    });
  });

  it('grants a RoleBinding to a ClusterRole only inside the binding namespace', () => {
    expect(authorize(attrs('list', 'pods', { namespace: 'team-a' }), policy)).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "alice-reads/team-a" of ClusterRole "pod-reader" to User "alice"',
    });
    expect(
      authorize(attrs('get', 'pods/log', { namespace: 'team-a', name: 'p' }), policy).allowed,
    ).toBe(true);
    expect(authorize(attrs('list', 'pods', { namespace: 'team-b' }), policy).allowed).toBe(false);
    // a list across all namespaces is a cluster-scoped request: no RoleBinding applies
    expect(authorize(attrs('list', 'pods'), policy).allowed).toBe(false);
    expect(
      authorize(attrs('delete', 'pods', { namespace: 'team-a', name: 'p' }), policy).allowed,
    ).toBe(false);
  });

  it('grants a RoleBinding to a Role of its own namespace, never of another one', () => {
    const dev = { as: 'dana', groups: ['devs'], apiGroup: 'apps' };
    expect(
      authorize(attrs('create', 'deployments', { ...dev, namespace: 'team-a' }), policy),
    ).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "deployers/team-a" of Role "deployer" to Group "devs"',
    });
    // team-b's binding points at Role "deployer", which exists only in team-a
    expect(
      authorize(attrs('create', 'deployments', { ...dev, namespace: 'team-b' }), policy),
    ).toEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "deployer" not found',
    });
  });

  it('matches Group subjects by membership, not by user name', () => {
    const req = { apiGroup: 'apps', namespace: 'team-a' };
    expect(
      authorize(attrs('patch', 'deployments', { ...req, as: 'bob', groups: ['devs'] }), policy)
        .allowed,
    ).toBe(true);
    expect(
      authorize(attrs('patch', 'deployments', { ...req, as: 'devs', groups: [] }), policy).allowed,
    ).toBe(false);
  });

  it('matches ServiceAccount subjects as system:serviceaccount:<namespace>:<name>', () => {
    const req = { apiGroup: 'apps', namespace: 'team-a' };
    const ci = serviceAccountUser('team-a', 'ci');
    expect(ci).toBe('system:serviceaccount:team-a:ci');
    expect(authorize(attrs('update', 'deployments', { ...req, as: ci }), policy)).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "deployers/team-a" of Role "deployer" to ServiceAccount "ci/team-a"',
    });
    expect(
      authorize(
        attrs('update', 'deployments', { ...req, as: 'system:serviceaccount:team-b:ci' }),
        policy,
      ).allowed,
    ).toBe(false);
    expect(authorize(attrs('update', 'deployments', { ...req, as: 'ci' }), policy).allowed).toBe(
      false,
    );
    // without a namespace in the subject, the binding's namespace is meant
    expect(
      authorize(
        attrs('list', 'pods', { namespace: 'team-c', as: 'system:serviceaccount:team-c:builder' }),
        policy,
      ),
    ).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "local-sa/team-c" of ClusterRole "pod-reader" to ServiceAccount "builder/team-c"',
    });
  });

  it('reports bindings whose ClusterRole is missing, and still allows through others', () => {
    const broken: RbacPolicy = {
      ...policy,
      clusterRoleBindings: [
        binding('ClusterRoleBinding', 'gone', undefined, { kind: 'ClusterRole', name: 'gone' }, [
          user('alice'),
        ]),
        binding('ClusterRoleBinding', 'gone-2', undefined, { kind: 'ClusterRole', name: 'gone' }, [
          user('alice'),
        ]),
      ],
    };
    expect(authorize(attrs('list', 'pods', { namespace: 'team-b' }), broken)).toEqual({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
    });
    expect(authorize(attrs('list', 'pods', { namespace: 'team-a' }), broken).allowed).toBe(true);
  });

  it('reads malformed stored objects without throwing', () => {
    const junk = {
      clusterRoles: [{ metadata: { name: 'x' }, rules: [null, 'x', { verbs: 'get' }] }],
      roles: [{}],
      clusterRoleBindings: [{ roleRef: 7, subjects: [null, { kind: 'User', name: 'alice' }] }],
      roleBindings: [{ metadata: { namespace: 'a' }, subjects: 'all' }],
    } as unknown as RbacPolicy;
    expect(authorize(attrs('get', 'pods', { namespace: 'a' }), junk)).toEqual({
      allowed: false,
      reason: 'RBAC: unsupported role reference kind: ""',
    });
  });
});

describe('rulesFor', () => {
  it('collects cluster-wide rules and, in a namespace, that namespace’s bindings', () => {
    const alice = { name: 'alice', groups: [] };
    expect(rulesFor(alice, 'team-a', policy)).toEqual(readPods);
    expect(rulesFor(alice, 'team-b', policy)).toEqual([]);
    expect(rulesFor(alice, undefined, policy)).toEqual([]);
    const olga = { name: 'olga', groups: ['ops', 'devs'] };
    expect(rulesFor(olga, undefined, policy)).toEqual(everything);
    expect(rulesFor(olga, 'team-a', policy)).toEqual([...everything, ...deploy]);
    // team-b's binding resolves to nothing (its Role is missing)
    expect(rulesFor(olga, 'team-b', policy)).toEqual(everything);
  });
});
