import { allows, type ResourceRule } from './rules';

const developer: ResourceRule[] = [
  { verbs: ['get', 'watch'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['a1'] },
  {
    verbs: ['create', 'patch'],
    apiGroups: ['apps'],
    resources: ['deployments', 'deployments/scale'],
  },
  { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] },
];

describe('allows (SelfSubjectRulesReview rules)', () => {
  it('matches verb, group, resource and subresource', () => {
    expect(allows(developer, 'patch', 'apps', 'deployments/scale')).toBe(true);
    expect(allows(developer, 'delete', 'apps', 'deployments')).toBe(false);
    expect(allows(developer, 'create', '', 'deployments')).toBe(false);
    expect(allows(developer, 'get', '', 'pods/log')).toBe(true);
    expect(allows(developer, 'get', '', 'pods/exec')).toBe(false);
  });

  it('honours resourceNames: only named objects', () => {
    expect(allows(developer, 'get', '', 'namespaces', 'a1')).toBe(true);
    expect(allows(developer, 'get', '', 'namespaces', 'b1')).toBe(false);
    expect(allows(developer, 'get', '', 'namespaces')).toBe(false);
  });

  it('knows the wildcard of cluster admins', () => {
    const admin: ResourceRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
    expect(allows(admin, 'update', 'tenancy.berth.dev', 'quotarequests/status')).toBe(true);
  });
});
