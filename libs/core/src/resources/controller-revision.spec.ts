import type { KubeObject } from '../api/types';
import { controllerRevisionDefinition as def } from './controller-revision';

const now = new Date('2024-05-01T12:00:00Z');
const DATA = { spec: { template: { $patch: 'replace', spec: { containers: [] } } } };
const rev = (rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: 'web-6d4cf56db6',
      namespace: 'default',
      creationTimestamp: '2024-05-01T11:00:00Z',
      ...meta,
    },
    data: DATA,
    revision: 1,
    ...rest,
  }) as KubeObject;

describe('ControllerRevision (apps/v1)', () => {
  it('accepts a revision with data', () => {
    expect(def.validate(rev())).toEqual([]);
    expect(def.validate(rev({ revision: 0 }))).toEqual([]);
  });

  it('requires data and revision, and a non-negative revision', () => {
    expect(def.validate(rev({ data: undefined, revision: undefined }))).toEqual([
      { reason: 'FieldValueRequired', field: 'data', message: 'Required value: data is mandatory' },
      { reason: 'FieldValueRequired', field: 'revision', message: 'Required value' },
    ]);
    expect(def.validate(rev({ revision: -1 }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'revision',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
  });

  it('keeps data immutable; the revision number may change (the controller bumps it)', () => {
    const old = rev();
    expect(def.validate(rev({ revision: 4 }), old)).toEqual([]);
    const changed = def.validate(rev({ data: { spec: {} } }), old);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'data' });
    expect(changed[0].message).toMatch(/: field is immutable$/);
  });

  it('refuses a data that is not an object, with the field path', () => {
    const checked = def.validateSchema({ ...rev(), data: 'text' });
    expect(checked.causes.map((c) => c.field)).toEqual(['data']);
  });

  it('prints NAME, CONTROLLER, REVISION, AGE as kubectl get controllerrevisions', () => {
    expect(def.table.columns.map((c) => c.name)).toEqual(['Name', 'Controller', 'Revision', 'Age']);
    const owned = rev(
      { revision: 3 },
      {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true },
        ],
      },
    );
    expect(def.table.row(owned, now)).toEqual(['web-6d4cf56db6', 'daemonset.apps/web', 3, '60m']);
    const core = rev(
      {},
      { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', controller: true }] },
    );
    expect(def.table.row(core, now)[1]).toBe('pod/p');
    // An owner that is not the controller does not count.
    const notController = rev(
      {},
      { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u' }] },
    );
    expect(def.table.row(notController, now)[1]).toBe('<none>');
  });
});
