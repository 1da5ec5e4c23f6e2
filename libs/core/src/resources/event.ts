import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateMin } from './causes';
import { defineResource } from './define';
import { objectReferenceSchema, typeMeta } from './meta';
import { int32, timestamp } from './schema';
import { column, since } from './table';
import { isObject, num, obj, str } from './util';

export const eventSchema = z.strictObject({
  ...typeMeta('v1', 'Event'),
  involvedObject: objectReferenceSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  source: z
    .strictObject({ component: z.string().optional(), host: z.string().optional() })
    .optional(),
  firstTimestamp: timestamp().optional(),
  lastTimestamp: timestamp().optional(),
  count: int32().optional(),
  type: z.string().optional(),
  eventTime: timestamp().optional(),
  series: z
    .strictObject({ count: int32().optional(), lastObservedTime: timestamp().optional() })
    .optional(),
  action: z.string().optional(),
  related: objectReferenceSchema.optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});

function validateEvent(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isObject(o.involvedObject)) causes.push(fe.required('involvedObject'));
  const involvedNs = str(obj(o.involvedObject).namespace);
  const ns = str(obj(o.metadata).namespace);
  if (involvedNs && ns && involvedNs !== ns) {
    causes.push(
      fe.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'),
    );
  }
  const type = str(o.type);
  if (type && type !== 'Normal' && type !== 'Warning')
    causes.push(fe.notSupported('type', type, ['Normal', 'Warning']));
  causes.push(...validateMin(o.count, 0, 'count'));
  return causes;
}

function eventRow(o: KubeObject, now: Date): unknown[] {
  const first = o.firstTimestamp ? since(o.firstTimestamp, now) : since(o.eventTime, now);
  let last = o.lastTimestamp ? since(o.lastTimestamp, now) : first;
  let count = num(o.count) ?? 0;
  if (isObject(o.series)) {
    last = since(o.series.lastObservedTime, now);
    count = num(o.series.count) ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const involved = obj(o.involvedObject);
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
  const source = obj(o.source);
  const component = str(source.component) || str(o.reportingComponent);
  const instance = str(source.host) || str(o.reportingInstance);
  return [
    last,
    str(o.type),
    str(o.reason),
    target,
    str(involved.fieldPath),
    instance ? `${component}, ${instance}` : component,
    str(o.message).trim(),
    first,
    count,
    str(obj(o.metadata).name),
  ];
}

export const eventDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: eventSchema,
  validate: validateEvent,
  selectableFields(o) {
    const involved = obj(o.involvedObject);
    return {
      'involvedObject.kind': str(involved.kind),
      'involvedObject.namespace': str(involved.namespace),
      'involvedObject.name': str(involved.name),
      'involvedObject.uid': str(involved.uid),
      'involvedObject.apiVersion': str(involved.apiVersion),
      'involvedObject.resourceVersion': str(involved.resourceVersion),
      'involvedObject.fieldPath': str(involved.fieldPath),
      reason: str(o.reason),
      reportingComponent: str(o.reportingComponent),
      source: str(obj(o.source).component),
      type: str(o.type),
    };
  },
  columns: [
    column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'The object that this event is about.'),
    column(
      'Subobject',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      { wide: true },
    ),
    column(
      'Source',
      'The component reporting this event. Should be a short machine understandable string.',
      { wide: true },
    ),
    column('Message', 'A human-readable description of the status of this operation.'),
    column(
      'First Seen',
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
      { wide: true },
    ),
    column('Count', 'The number of times this event has occurred.', { wide: true }),
    column('Name', 'Name must be unique within a namespace.', { wide: true, format: 'name' }),
  ],
  row: eventRow,
});
