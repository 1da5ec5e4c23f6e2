import type { KubeObject } from '../api/types';
import type { RequestAttributes } from '../rbac/types';
import { nodeAccess } from './node-access';
import { nodeGraphDenial, podReferences } from './node-graph';

const pod = (nodeName: string, spec: Record<string, unknown>, namespace = 'a'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace },
  spec: { nodeName, containers: [], ...spec },
});

const attrs = (verb: string, resource: string, name?: string, sub?: string): RequestAttributes => ({
  user: { name: 'system:node:n1', groups: ['system:nodes'] },
  verb,
  apiGroup: '',
  resource,
  subresource: sub,
  name,
  namespace: 'a',
  resourceRequest: true,
});

describe('node authorizer graph', () => {
  const uses = pod('n1', {
    serviceAccountName: 'builder',
    imagePullSecrets: [{ name: 'pull' }],
    containers: [
      {
        name: 'app',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } },
        ],
        envFrom: [{ configMapRef: { name: 'from-cm' } }, { secretRef: { name: 'from-secret' } }],
      },
    ],
    volumes: [
      { name: 'c', configMap: { name: 'vol-cm' } },
      { name: 's', secret: { secretName: 'vol-secret' } },
      {
        name: 'p',
        projected: {
          sources: [{ configMap: { name: 'proj-cm' } }, { secret: { name: 'proj-s' } }],
        },
      },
    ],
  });

  it('collects every reference of a pod', () => {
    const refs = podReferences(uses);
    expect([...refs.configmaps].sort()).toEqual(['env-cm', 'from-cm', 'proj-cm', 'vol-cm']);
    expect([...refs.secrets].sort()).toEqual([
      'env-secret',
      'from-secret',
      'proj-s',
      'pull',
      'vol-secret',
    ]);
    expect([...refs.serviceaccounts]).toEqual(['builder']);
    expect([...podReferences(pod('n1', {})).serviceaccounts]).toEqual(['default']);
  });

  it('allows what a pod bound to the node refers to, and nothing of other nodes or namespaces', () => {
    expect(nodeGraphDenial('n1', 'configmaps', 'a', 'vol-cm', [uses])).toBeUndefined();
    expect(nodeGraphDenial('n1', 'secrets', 'a', 'pull', [uses])).toBeUndefined();
    expect(nodeGraphDenial('n1', 'serviceaccounts', 'a', 'builder', [uses])).toBeUndefined();
    expect(nodeGraphDenial('n1', 'secrets', 'a', 'other', [uses])).toContain(
      `no such pod refers to secret "a/other"`,
    );
    expect(nodeGraphDenial('n2', 'configmaps', 'a', 'vol-cm', [uses])).toBeDefined();
    expect(nodeGraphDenial('n1', 'configmaps', 'b', 'vol-cm', [uses])).toBeDefined();
  });

  it('lets a node only get these kinds (by name) and request tokens', () => {
    expect(nodeAccess('n1', attrs('get', 'secrets', 'x'))).toEqual({
      allowed: true,
      graph: 'secrets',
    });
    expect(nodeAccess('n1', attrs('create', 'serviceaccounts', 'sa', 'token'))).toEqual({
      allowed: true,
      graph: 'serviceaccounts',
    });
    expect(nodeAccess('n1', attrs('list', 'configmaps')).allowed).toBe(false);
    expect(nodeAccess('n1', attrs('update', 'secrets', 'x')).allowed).toBe(false);
    expect(nodeAccess('n1', attrs('create', 'serviceaccounts')).allowed).toBe(false);
  });
});
