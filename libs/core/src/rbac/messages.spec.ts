// Expected texts are Kubernetes' (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
// responsewriters/errors.go forbiddenMessage, wrapped by apierrors.NewForbidden).
import { compactRuleString, forbiddenMessage, goQuote, goQuoteList } from './index';
import type { RequestAttributes } from './index';

const alice = { name: 'alice', groups: ['system:authenticated'] };

const req = (over: Partial<RequestAttributes>): RequestAttributes => ({
  user: alice,
  verb: 'get',
  apiGroup: '',
  resource: 'pods',
  resourceRequest: true,
  ...over,
});

describe('forbiddenMessage', () => {
  it('words a namespaced collection request', () => {
    expect(forbiddenMessage(req({ verb: 'list', namespace: 'team-b' }))).toBe(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team-b"',
    );
  });

  it('words a named cluster-scoped request', () => {
    expect(forbiddenMessage(req({ resource: 'nodes', name: 'n1' }))).toBe(
      'nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope',
    );
  });

  it('names the subresource and qualifies the resource with its group', () => {
    expect(forbiddenMessage(req({ subresource: 'log', namespace: 'a', name: 'web-1' }))).toBe(
      'pods "web-1" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "a"',
    );
    expect(
      forbiddenMessage(
        req({
          verb: 'patch',
          apiGroup: 'apps',
          resource: 'deployments',
          subresource: 'scale',
          namespace: 'a',
          name: 'web',
        }),
      ),
    ).toBe(
      'deployments.apps "web" is forbidden: User "alice" cannot patch resource "deployments/scale" in API group "apps" in the namespace "a"',
    );
    expect(
      forbiddenMessage(
        req({
          verb: 'create',
          apiGroup: 'rbac.authorization.k8s.io',
          resource: 'rolebindings',
          namespace: 'a',
        }),
      ),
    ).toBe(
      'rolebindings.rbac.authorization.k8s.io is forbidden: User "alice" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "a"',
    );
  });

  it('words a non-resource request', () => {
    expect(
      forbiddenMessage({
        user: alice,
        verb: 'get',
        apiGroup: '',
        resource: '',
        path: '/metrics',
        resourceRequest: false,
      }),
    ).toBe('forbidden: User "alice" cannot get path "/metrics"');
  });

  it('appends the authorizer reason when there is one', () => {
    expect(
      forbiddenMessage(
        req({ verb: 'list', namespace: 'b' }),
        'RBAC: role.rbac.authorization.k8s.io "deployer" not found',
      ),
    ).toBe(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b": RBAC: role.rbac.authorization.k8s.io "deployer" not found',
    );
  });
});

describe('Go quoting', () => {
  it('quotes like strconv.Quote and %q on []string', () => {
    expect(goQuote('system:serviceaccount:a:b')).toBe('"system:serviceaccount:a:b"');
    expect(goQuote('say "hi"\\\n\t\x00é')).toBe('"say \\"hi\\"\\\\\\n\\t\\x00é"');
    expect(goQuoteList([])).toBe('[]');
    expect(goQuoteList(['', 'apps'])).toBe('["" "apps"]');
  });

  it('prints rules in CompactString form', () => {
    expect(compactRuleString({ apiGroups: [''], resources: ['pods'], verbs: ['delete'] })).toBe(
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    );
    expect(
      compactRuleString({
        apiGroups: ['apps'],
        resources: ['deployments'],
        resourceNames: ['web'],
        verbs: ['get', 'patch'],
      }),
    ).toBe(
      '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["get" "patch"]}',
    );
    expect(compactRuleString({ nonResourceURLs: ['/metrics'], verbs: ['get'] })).toBe(
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    );
  });
});
