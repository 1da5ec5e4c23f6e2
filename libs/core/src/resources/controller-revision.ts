/**
 * ControllerRevision (apps/v1): an immutable snapshot of a controller's state, as the
 * DaemonSet controller keeps its template history (`kubectl rollout history ds/x`). Validated
 * as kube-apiserver's ValidateControllerRevision / ValidateControllerRevisionUpdate.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateMin } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { anyObject, int64 } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { deepEqual, isObject, obj, str } from './util';

export const controllerRevisionSchema = z.strictObject({
  ...typeMeta('apps/v1', 'ControllerRevision'),
  /** Go's runtime.RawExtension: the controller's own JSON (a patch, for DaemonSets). */
  data: anyObject().optional(),
  revision: int64().optional(),
});

function validateControllerRevision(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isObject(o.data)) causes.push(fe.required('data', 'data is mandatory'));
  if (typeof o.revision !== 'number') causes.push(fe.required('revision'));
  else causes.push(...validateMin(o.revision, 0, 'revision'));
  if (old && !deepEqual(o.data ?? null, old.data ?? null))
    causes.push(fe.invalid('data', o.data ?? null, 'field is immutable'));
  return causes;
}

/** `daemonset.apps/web`: the controller's kind (group-qualified, lower case) and name. */
function controllerCell(o: KubeObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = str(ref.kind);
  if (!kind) return str(ref.name);
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
}

export const controllerRevisionDefinition = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  shortNames: [],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: controllerRevisionSchema,
  validate: validateControllerRevision,
  columns: [
    nameColumn(),
    column('Controller', 'Controller of the object'),
    column('Revision', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn(),
  ],
  row: (o, now) => [name(o), controllerCell(o), Number(obj(o).revision ?? 0), age(o, now)],
});
