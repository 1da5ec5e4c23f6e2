import type { KubeObject } from '../api/types';
import {
  NAMESPACE_CONTENT_RECHECK_MS,
  NAMESPACE_DELETION_CONDITIONS,
  NAMESPACE_FINALIZER_RECHECK_MS,
  namespaceDeletionConditions,
  namespaceDeletionDecide,
  namespaceDeletionStatus,
  type NamespaceContentReport,
} from './namespace';
import { at, deepFreeze, pod, replicaSet, ts } from './test-helpers';

function namespace(
  o: { deleting?: boolean; finalizers?: string[]; status?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'team-a',
      uid: 'uid-team-a',
      resourceVersion: '7',
      creationTimestamp: ts(-60),
      ...(o.deleting ? { deletionTimestamp: ts(0) } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: {},
    status: o.status ?? { phase: o.deleting ? 'Terminating' : 'Active' },
  };
}

function held(name: string, finalizers: string[]): KubeObject {
  const p = pod({ name, namespace: 'team-a', deleting: true });
  p.metadata.finalizers = finalizers;
  return p;
}

const EMPTY: NamespaceContentReport = { remaining: [], deleteFailures: [] };

const byType = (status: Record<string, unknown> | undefined) =>
  Object.fromEntries(
    ((status?.conditions ?? []) as Array<Record<string, string>>).map((c) => [c.type, c]),
  );

describe('namespaceDeletionConditions (Kubernetes namespaceConditionUpdater)', () => {
  it('reports all five conditions False with their OK reasons and messages when all went well', () => {
    const conditions = namespaceDeletionConditions(EMPTY);
    expect(conditions.map((c) => c.type)).toEqual([...NAMESPACE_DELETION_CONDITIONS]);
    expect(conditions).toEqual([
      {
        type: 'NamespaceDeletionDiscoveryFailure',
        status: 'False',
        reason: 'ResourcesDiscovered',
        message: 'All resources successfully discovered',
      },
      {
        type: 'NamespaceDeletionGroupVersionParsingFailure',
        status: 'False',
        reason: 'ParsedGroupVersions',
        message: 'All legacy kube types successfully parsed',
      },
      {
        type: 'NamespaceDeletionContentFailure',
        status: 'False',
        reason: 'ContentDeleted',
        message: 'All content successfully deleted, may be waiting on finalization',
      },
      {
        type: 'NamespaceContentRemaining',
        status: 'False',
        reason: 'ContentRemoved',
        message: 'All content successfully removed',
      },
      {
        type: 'NamespaceFinalizersRemaining',
        status: 'False',
        reason: 'ContentHasNoFinalizers',
        message: 'All content-preserving finalizers finished',
      },
    ]);
  });

  it('counts what remains per resource (`plural.group`) and per finalizer, sorted', () => {
    const report: NamespaceContentReport = {
      remaining: [
        {
          group: '',
          plural: 'pods',
          objects: [
            held('a', ['example.com/x']),
            held('b', ['example.com/x', 'a.dev/y']),
            pod({ name: 'c', namespace: 'team-a' }),
          ],
        },
        { group: 'apps', plural: 'replicasets', objects: [replicaSet({ deleting: true })] },
        { group: '', plural: 'services', objects: [] },
      ],
      deleteFailures: [],
    };
    const c = Object.fromEntries(namespaceDeletionConditions(report).map((x) => [x.type, x]));
    expect(c.NamespaceContentRemaining).toEqual({
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message:
        'Some resources are remaining: pods. has 3 resource instances, replicasets.apps has 1 resource instances',
    });
    expect(c.NamespaceFinalizersRemaining).toEqual({
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: a.dev/y in 1 resource instances, example.com/x in 2 resource instances',
    });
    expect(c.NamespaceDeletionContentFailure.status).toBe('False');
  });

  it('reports failed deletions and failed discovery as True conditions', () => {
    const c = Object.fromEntries(
      namespaceDeletionConditions({
        remaining: [],
        deleteFailures: ['services: boom', 'pods: timeout'],
        discoveryFailures: ['widgets.example.com'],
      }).map((x) => [x.type, x]),
    );
    expect(c.NamespaceDeletionContentFailure).toEqual({
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: 'Failed to delete all resource types, 2 remaining: pods: timeout, services: boom',
    });
    expect(c.NamespaceDeletionDiscoveryFailure).toMatchObject({
      status: 'True',
      reason: 'DiscoveryFailed',
      message: 'Discovery failed for some groups, 1 failing: widgets.example.com',
    });
  });
});

describe('namespaceDeletionStatus', () => {
  it('sets phase Terminating and adds the conditions with the transition time, keeping other conditions', () => {
    const ns = deepFreeze(
      namespace({
        deleting: true,
        finalizers: ['kubernetes'],
        status: {
          phase: 'Active',
          conditions: [{ type: 'example.com/Audited', status: 'True' }],
        },
      }),
    );
    const status = namespaceDeletionStatus(ns, EMPTY, at(5));
    expect(status?.phase).toBe('Terminating');
    const c = byType(status);
    expect(Object.keys(c)).toEqual(['example.com/Audited', ...NAMESPACE_DELETION_CONDITIONS]);
    expect(c['example.com/Audited']).toEqual({ type: 'example.com/Audited', status: 'True' });
    expect(c.NamespaceContentRemaining.lastTransitionTime).toBe(ts(5));
  });

  it('is undefined when nothing changed, so a recheck writes nothing', () => {
    const first = namespaceDeletionStatus(namespace({ deleting: true }), EMPTY, at(5));
    const ns = namespace({ deleting: true, status: first });
    expect(namespaceDeletionStatus(ns, EMPTY, at(9))).toBeUndefined();
  });

  it('moves lastTransitionTime only when a condition changes status, not when only its message does', () => {
    const three: NamespaceContentReport = {
      remaining: [
        {
          group: '',
          plural: 'pods',
          objects: [held('a', ['x/y']), held('b', ['x/y']), held('c', ['x/y'])],
        },
      ],
      deleteFailures: [],
    };
    const one: NamespaceContentReport = {
      remaining: [{ group: '', plural: 'pods', objects: [held('a', ['x/y'])] }],
      deleteFailures: [],
    };
    const s1 = namespaceDeletionStatus(namespace({ deleting: true }), three, at(1));
    const s2 = namespaceDeletionStatus(namespace({ deleting: true, status: s1 }), one, at(2));
    expect(byType(s2).NamespaceContentRemaining).toMatchObject({
      status: 'True',
      message: 'Some resources are remaining: pods. has 1 resource instances',
      lastTransitionTime: ts(1),
    });
    const s3 = namespaceDeletionStatus(namespace({ deleting: true, status: s2 }), EMPTY, at(3));
    expect(byType(s3).NamespaceContentRemaining).toMatchObject({
      status: 'False',
      reason: 'ContentRemoved',
      lastTransitionTime: ts(3),
    });
    expect(byType(s3).NamespaceDeletionDiscoveryFailure.lastTransitionTime).toBe(ts(1));
  });
});

describe('namespaceDeletionDecide', () => {
  const terminating = namespace({ deleting: true, finalizers: ['kubernetes'] });

  it('does nothing for a namespace that is not being deleted or is finalized already', () => {
    expect(namespaceDeletionDecide(namespace({ finalizers: ['kubernetes'] }), EMPTY)).toEqual({
      action: 'none',
    });
    expect(
      namespaceDeletionDecide(namespace({ deleting: true, finalizers: ['example.com/x'] }), EMPTY),
    ).toEqual({ action: 'none' });
  });

  it('finalizes when nothing is left, even with other finalizers on the namespace', () => {
    expect(namespaceDeletionDecide(terminating, EMPTY)).toEqual({ action: 'finalize' });
    const shared = namespace({ deleting: true, finalizers: ['example.com/x', 'kubernetes'] });
    expect(
      namespaceDeletionDecide(shared, {
        remaining: [{ group: '', plural: 'pods', objects: [] }],
        deleteFailures: [],
      }),
    ).toEqual({ action: 'finalize' });
  });

  it('waits, soon while content is going and longer while finalizers hold it', () => {
    const going: NamespaceContentReport = {
      remaining: [{ group: 'apps', plural: 'replicasets', objects: [replicaSet({})] }],
      deleteFailures: [],
    };
    expect(namespaceDeletionDecide(terminating, going)).toEqual({
      action: 'wait',
      requeueAfterMs: NAMESPACE_CONTENT_RECHECK_MS,
    });
    const heldBack: NamespaceContentReport = {
      remaining: [{ group: '', plural: 'pods', objects: [held('a', ['example.com/x'])] }],
      deleteFailures: [],
    };
    expect(namespaceDeletionDecide(terminating, heldBack)).toEqual({
      action: 'wait',
      requeueAfterMs: NAMESPACE_FINALIZER_RECHECK_MS,
    });
    expect(NAMESPACE_CONTENT_RECHECK_MS).toBeGreaterThan(0);
  });

  it('retries when deletions failed, even if nothing seems left', () => {
    expect(
      namespaceDeletionDecide(terminating, { remaining: [], deleteFailures: ['pods: boom'] }),
    ).toEqual({ action: 'retry', message: 'pods: boom' });
  });
});
