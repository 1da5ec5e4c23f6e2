import type { KubeObject } from '../api/types';
import { tenantDefinition, tenantMembers, tenantNamespaceLimit } from './index';

function tenant(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'tenancy.berth.dev/v1',
    kind: 'Tenant',
    metadata: { name: 'team-a', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec,
    ...(status ? { status } : {}),
  };
}

describe('Tenant', () => {
  it('is a cluster-scoped kind in tenancy.berth.dev/v1', () => {
    expect(tenantDefinition).toMatchObject({
      group: 'tenancy.berth.dev',
      version: 'v1',
      plural: 'tenants',
      shortNames: ['tnt'],
      namespaced: false,
      hasStatus: true,
    });
  });

  it('accepts a full tenant', () => {
    const t = tenant({
      displayName: 'Team A',
      members: [
        { user: 'alice', role: 'tenant-admin' },
        { user: 'bob', role: 'developer' },
      ],
      namespaceLimit: 3,
      quota: { hard: { 'requests.cpu': '8', pods: '100', 'count/services': '20' } },
      nodeSelector: { pool: 'a' },
    });
    expect(tenantDefinition.validateSchema(t).unknownFields).toEqual([]);
    expect(tenantDefinition.validate(t)).toEqual([]);
    expect(tenantMembers(t)).toEqual([
      { user: 'alice', role: 'tenant-admin' },
      { user: 'bob', role: 'developer' },
    ]);
    expect(tenantNamespaceLimit(t)).toBe(3);
  });

  it('names each bad field like Kubernetes', () => {
    const causes = tenantDefinition.validate(
      tenant({
        members: [
          { user: 'alice', role: 'owner' },
          { user: 'alice', role: 'viewer' },
          { user: '', role: 'viewer' },
        ],
        namespaceLimit: -1,
        quota: { hard: { 'requests.cpu': 'lots' } },
      }),
    );
    expect(causes.map((c) => c.field)).toEqual([
      'spec.members[0].role',
      'spec.members[1].user',
      'spec.members[2].user',
      'spec.namespaceLimit',
      'spec.quota.hard[requests.cpu]',
    ]);
    expect(causes[0].message).toBe(
      'Unsupported value: "owner": supported values: "tenant-admin", "developer", "viewer"',
    );
    expect(causes[1].message).toBe('Duplicate value: "alice"');
  });

  it('shows namespaces against the limit in its table row', () => {
    const row = tenantDefinition.table.row(
      tenant(
        { displayName: 'Team A', members: [{ user: 'a', role: 'viewer' }], namespaceLimit: 5 },
        { namespaces: ['a-dev', 'a-prod'] },
      ),
      new Date('2024-05-01T12:00:00Z'),
    );
    expect(row).toEqual(['team-a', 'Team A', '2/5', 1, '60m']);
  });
});
