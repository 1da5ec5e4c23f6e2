import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import type { Quantity } from '../quantity';
import { fe, validateResourceList } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { quantityMap } from './schema';
import { column, name, nameColumn } from './table';
import { arr, deepClone, isObject, obj, type JsonObject } from './util';

export const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'] as const;

export const limitRangeSchema = z.strictObject({
  ...typeMeta('v1', 'LimitRange'),
  spec: z
    .strictObject({
      limits: z.array(
        z.strictObject({
          type: z.enum(LIMIT_TYPES),
          max: quantityMap().optional(),
          min: quantityMap().optional(),
          default: quantityMap().optional(),
          defaultRequest: quantityMap().optional(),
          maxLimitRequestRatio: quantityMap().optional(),
        }),
      ),
    })
    .optional(),
});

function validateLimitRange(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj(o.spec);
  if (!Array.isArray(spec.limits)) causes.push(fe.required('spec.limits'));
  arr(spec.limits).forEach((l, i) => {
    const item = obj(l);
    const at = `spec.limits[${i}]`;
    const max = validateResourceList(item.max, `${at}.max`, causes);
    const min = validateResourceList(item.min, `${at}.min`, causes);
    const dflt = validateResourceList(item.default, `${at}.default`, causes);
    const dfltReq = validateResourceList(item.defaultRequest, `${at}.defaultRequest`, causes);
    const ratio = validateResourceList(
      item.maxLimitRequestRatio,
      `${at}.maxLimitRequestRatio`,
      causes,
    );
    if (item.type === 'Pod') {
      if (isObject(item.default) && Object.keys(item.default).length > 0) {
        causes.push(fe.forbidden(`${at}.default`, "may not be specified when `type` is 'Pod'"));
      }
      if (isObject(item.defaultRequest) && Object.keys(item.defaultRequest).length > 0) {
        causes.push(
          fe.forbidden(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"),
        );
      }
    }
    const keys = new Set([
      ...max.keys(),
      ...min.keys(),
      ...dflt.keys(),
      ...dfltReq.keys(),
      ...ratio.keys(),
    ]);
    const gt = (a: Quantity | undefined, b: Quantity | undefined) =>
      a !== undefined && b !== undefined && a.cmp(b) > 0;
    for (const k of keys) {
      const mx = max.get(k);
      const mn = min.get(k);
      const d = dflt.get(k);
      const dr = dfltReq.get(k);
      const r = ratio.get(k);
      if (gt(mn, mx))
        causes.push(
          fe.invalid(
            `${at}.min[${k}]`,
            mn!.toString(),
            `min value ${mn!.toString()} is greater than max value ${mx!.toString()}`,
          ),
        );
      if (gt(mn, d))
        causes.push(
          fe.invalid(
            `${at}.default[${k}]`,
            d!.toString(),
            `min value ${mn!.toString()} is greater than default value ${d!.toString()}`,
          ),
        );
      if (gt(d, mx))
        causes.push(
          fe.invalid(
            `${at}.default[${k}]`,
            d!.toString(),
            `default value ${d!.toString()} is greater than max value ${mx!.toString()}`,
          ),
        );
      if (gt(mn, dr))
        causes.push(
          fe.invalid(
            `${at}.defaultRequest[${k}]`,
            dr!.toString(),
            `min value ${mn!.toString()} is greater than default request value ${dr!.toString()}`,
          ),
        );
      if (gt(dr, mx))
        causes.push(
          fe.invalid(
            `${at}.defaultRequest[${k}]`,
            dr!.toString(),
            `default request value ${dr!.toString()} is greater than max value ${mx!.toString()}`,
          ),
        );
      if (gt(dr, d))
        causes.push(
          fe.invalid(
            `${at}.defaultRequest[${k}]`,
            dr!.toString(),
            `default request value ${dr!.toString()} is greater than default limit value ${d!.toString()}`,
          ),
        );
      if (r && r.milliValue() < 1000n) {
        causes.push(
          fe.invalid(
            `${at}.maxLimitRequestRatio[${k}]`,
            r.toString(),
            `ratio ${r.toString()} is less than 1`,
          ),
        );
      }
    }
  });
  return causes;
}

function defaultLimitRange(o: JsonObject): void {
  for (const l of arr(obj(o.spec).limits)) {
    if (!isObject(l) || l.type !== 'Container') continue;
    const dflt: JsonObject = isObject(l.default) ? l.default : {};
    const dfltReq: JsonObject = isObject(l.defaultRequest) ? l.defaultRequest : {};
    for (const [k, v] of Object.entries(obj(l.max)))
      if (dflt[k] === undefined) dflt[k] = deepClone(v);
    for (const [k, v] of Object.entries(dflt))
      if (dfltReq[k] === undefined) dfltReq[k] = deepClone(v);
    for (const [k, v] of Object.entries(obj(l.min)))
      if (dfltReq[k] === undefined) dfltReq[k] = deepClone(v);
    if (Object.keys(dflt).length > 0) l.default = dflt;
    if (Object.keys(dfltReq).length > 0) l.defaultRequest = dfltReq;
  }
}

export const limitRangeDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: limitRangeSchema,
  validate: validateLimitRange,
  defaults: defaultLimitRange,
  columns: [
    nameColumn(),
    column(
      'Created At',
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
      { type: 'date' },
    ),
  ],
  row: (o) => [name(o), obj(o.metadata).creationTimestamp ?? null],
});
