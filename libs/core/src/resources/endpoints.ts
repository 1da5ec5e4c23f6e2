import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { isDNS1123Label } from '../validation';
import { fe, validatePortNumber } from './causes';
import { defineResource } from './define';
import { objectReferenceSchema, typeMeta } from './meta';
import { isIP, isIPv6 } from './names';
import { PROTOCOLS } from './pod-spec';
import { enumOrEmpty, int32 } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { arr, isObject, obj, str, type JsonObject } from './util';

const endpointAddressSchema = z.strictObject({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: objectReferenceSchema.optional(),
});

export const endpointsSchema = z.strictObject({
  ...typeMeta('v1', 'Endpoints'),
  subsets: z
    .array(
      z.strictObject({
        addresses: z.array(endpointAddressSchema).optional(),
        notReadyAddresses: z.array(endpointAddressSchema).optional(),
        ports: z
          .array(
            z.strictObject({
              name: z.string().optional(),
              port: int32(),
              protocol: enumOrEmpty(PROTOCOLS).optional(),
              appProtocol: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

function validateEndpoints(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  arr(o.subsets).forEach((s, i) => {
    const subset = obj(s);
    const at = `subsets[${i}]`;
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      arr(subset[list]).forEach((a, j) => {
        const addr = obj(a);
        const ip = str(addr.ip);
        if (!ip) causes.push(fe.required(`${at}.${list}[${j}].ip`));
        else if (!isIP(ip))
          causes.push(fe.invalid(`${at}.${list}[${j}].ip`, ip, 'must be a valid IP address'));
        const hostname = str(addr.hostname);
        if (hostname)
          for (const msg of isDNS1123Label(hostname))
            causes.push(fe.invalid(`${at}.${list}[${j}].hostname`, hostname, msg));
      });
    }
    const ports = arr(subset.ports);
    const names = new Set<string>();
    ports.forEach((p, j) => {
      const port = obj(p);
      const pAt = `${at}.ports[${j}]`;
      const portName = str(port.name);
      if (ports.length > 1 && !portName) causes.push(fe.required(`${pAt}.name`));
      if (portName) {
        for (const msg of isDNS1123Label(portName))
          causes.push(fe.invalid(`${pAt}.name`, portName, msg));
        if (names.has(portName)) causes.push(fe.duplicate(`${pAt}.name`, portName));
        names.add(portName);
      }
      causes.push(...validatePortNumber(port.port, `${pAt}.port`));
    });
  });
  return causes;
}

/** The ENDPOINTS cell: up to three `ip:port` pairs, then `+ N more...`; `<none>` if empty. */
export function formatEndpoints(o: KubeObject): string {
  const subsets = arr(o.subsets).map(obj);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  const push = (s: string) => {
    if (list.length === max) more = true;
    else list.push(s);
  };
  for (const subset of subsets) {
    const addresses = arr(subset.addresses).map((a) => str(obj(a).ip));
    const ports = arr(subset.ports).map(obj);
    if (ports.length === 0) {
      count += addresses.length;
      for (const ip of addresses) push(ip);
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const ip of addresses) {
        const host = isIPv6(ip) ? `[${ip}]` : ip;
        push(`${host}:${typeof port.port === 'number' ? port.port : 0}`);
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

function defaultEndpoints(o: JsonObject): void {
  for (const s of arr(o.subsets)) {
    for (const p of arr(obj(s).ports)) {
      if (isObject(p) && (p.protocol === undefined || p.protocol === '')) p.protocol = 'TCP';
    }
  }
}

export const endpointsDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: endpointsSchema,
  validate: validateEndpoints,
  defaults: defaultEndpoints,
  columns: [
    nameColumn(),
    column('Endpoints', 'The set of all endpoints is the union of all subsets.'),
    ageColumn(),
  ],
  row: (o, now) => [name(o), formatEndpoints(o), age(o, now)],
});
