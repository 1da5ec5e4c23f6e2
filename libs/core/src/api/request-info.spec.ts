import { parseRequestInfo } from './request-info';

describe('parseRequestInfo', () => {
  it.each([
    [
      'GET',
      '/api/v1/namespaces',
      false,
      { resource: 'namespaces', name: '', namespace: '', verb: 'list' },
    ],
    [
      'GET',
      '/api/v1/namespaces/team-a',
      false,
      { resource: 'namespaces', name: 'team-a', namespace: 'team-a', verb: 'get' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/team-a/status',
      false,
      { resource: 'namespaces', name: 'team-a', subresource: 'status', verb: 'update' },
    ],
    [
      'GET',
      '/api/v1/namespaces/a/pods',
      true,
      { resource: 'pods', namespace: 'a', name: '', verb: 'watch' },
    ],
    [
      'GET',
      '/api/v1/namespaces/a/pods/p/log',
      false,
      { resource: 'pods', namespace: 'a', name: 'p', subresource: 'log', verb: 'get' },
    ],
    ['GET', '/api/v1/pods', false, { resource: 'pods', namespace: '', verb: 'list' }],
    ['GET', '/api/v1/nodes/n1', false, { resource: 'nodes', name: 'n1', verb: 'get' }],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/a/deployments/web/scale',
      false,
      {
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        name: 'web',
        subresource: 'scale',
        verb: 'patch',
      },
    ],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/a/deployments',
      false,
      { resource: 'deployments', verb: 'deletecollection' },
    ],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/a/deployments/x',
      false,
      { resource: 'deployments', name: 'x', verb: 'delete' },
    ],
    ['POST', '/api/v1/namespaces/a/pods', false, { resource: 'pods', verb: 'create' }],
  ])('%s %s', (method, path, watch, expected) => {
    expect(parseRequestInfo(method, path, watch)).toMatchObject({
      isResourceRequest: true,
      ...expected,
    });
  });

  it.each(['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/'])(
    '%s is not a resource request',
    (path) => {
      expect(parseRequestInfo('GET', path, false).isResourceRequest).toBe(false);
    },
  );

  it('decodes percent-escapes and never throws on bad ones', () => {
    expect(parseRequestInfo('GET', '/api/v1/namespaces/a%2Db/pods', false).namespace).toBe('a-b');
    expect(parseRequestInfo('GET', '/api/v1/namespaces/%E0%A4%A/pods', false).namespace).toBe(
      '%E0%A4%A',
    );
  });
});
