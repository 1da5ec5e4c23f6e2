import {
  replicationControllerAsReplicaSet,
  replicationControllerDefinition as rc,
} from './replication-controller';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'nginx' }] },
};

describe('ReplicationController', () => {
  it('takes its selector, labels and one replica from the template by default', () => {
    const out = rc.applyDefaults({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'n' },
      spec: { template },
    });
    expect(out.spec).toMatchObject({ replicas: 1, selector: { app: 'web' } });
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(rc.validate(out)).toEqual([]);
  });

  it('names the field of a selector that does not match, and of a missing template', () => {
    const bad = rc.validate({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'n' },
      spec: { selector: { app: 'other' }, template },
    });
    expect(bad).toEqual([
      expect.objectContaining({
        field: 'spec.template.metadata.labels',
        message: expect.stringContaining('`selector` does not match template `labels`'),
      }),
    ]);
    const empty = rc.validate({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'n' },
      spec: {},
    });
    expect(empty.map((c) => c.field)).toEqual(['spec.selector', 'spec.template']);
  });

  it('prints NAME DESIRED CURRENT READY AGE and scales through the selector map', () => {
    expect(rc.table.columns.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Age',
    ]);
    const obj = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { replicas: 3, selector: { tier: 'a', app: 'web' }, template },
      status: { replicas: 2, readyReplicas: 1 },
    };
    expect(rc.table.row(obj, new Date('2026-01-01T00:00:30Z'))).toEqual([
      'web',
      3,
      2,
      1,
      '30s',
      'main',
      'nginx',
      'app=web,tier=a',
    ]);
    expect(rc.scale?.selector(obj)).toBe('app=web,tier=a');
    expect(replicationControllerAsReplicaSet(obj)).toMatchObject({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      spec: { selector: { matchLabels: { app: 'web', tier: 'a' } } },
    });
  });
});
