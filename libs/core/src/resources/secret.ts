/**
 * core/v1 Secret, validated as kube-apiserver's ValidateSecret / ValidateSecretUpdate, with
 * the `stringData` → `data` folding its v1 conversion does.
 * The store seals Secrets at rest (libs/store/src/encryption, BERTH_ENCRYPTED_RESOURCES).
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import {
  MAX_SECRET_SIZE,
  decodeBase64,
  immutableUpdateCauses,
  tooLong,
  validateDataMap,
} from './config-data';
import { fe } from './causes';
import { validateConfigMapImmutableUpdate } from './config-map';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { stringMap } from './schema';
import { age, ageColumn, column, name, nameColumn } from './table';
import { deepClone, isObject, obj, str, type JsonObject } from './util';

export const SECRET_TYPES = {
  opaque: 'Opaque',
  serviceAccountToken: 'kubernetes.io/service-account-token',
  dockercfg: 'kubernetes.io/dockercfg',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
  tls: 'kubernetes.io/tls',
  bootstrapToken: 'bootstrap.kubernetes.io/token',
} as const;

export const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_KEY = 'kubernetes.io/service-account.uid';
const REDACTED = '<secret contents redacted>';

export const secretSchema = z.strictObject({
  ...typeMeta('v1', 'Secret'),
  /** Values are base64 (Go `[]byte`). */
  data: stringMap().optional(),
  /** Write-only convenience: folded into `data` before anything else sees the object. */
  stringData: stringMap().optional(),
  type: z.string().optional(),
  immutable: z.boolean().optional(),
});

/**
 * The v1 → internal conversion's handling of `stringData`: each value is UTF-8 encoded into
 * `data` (base64), winning over a `data` entry of the same key, and `stringData` is dropped.
 * Returns a copy; the input is not changed. For create, update and patch alike (the
 * registry's prepareForCreate / prepareForUpdate hooks).
 */
export function foldStringData(o: KubeObject): KubeObject {
  if (!isObject(o) || !isObject((o as JsonObject).stringData)) return o;
  const copy = deepClone(o) as unknown as JsonObject;
  const stringData = obj(copy.stringData);
  delete copy.stringData;
  const data = isObject(copy.data) ? copy.data : {};
  for (const [k, v] of Object.entries(stringData)) {
    if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  if (Object.keys(data).length > 0 || isObject(copy.data)) copy.data = data;
  return copy as KubeObject;
}

/** The decoded bytes of `data[key]`, or undefined (absent or bad base64). */
export function secretValue(o: KubeObject, key: string): Buffer | undefined {
  const v = obj(o.data)[key];
  if (typeof v !== 'string') return undefined;
  const d = decodeBase64(v);
  return d.ok ? d.bytes : undefined;
}

/** Go's `json.Unmarshal(b, &map[string]interface{}{})` error, or undefined when it decodes. */
function jsonObjectError(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  const trimmed = text.trim();
  if (trimmed === '') return 'unexpected end of JSON input';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const first = trimmed[0]!;
    if (!'{["-0123456789tfn'.includes(first))
      return `invalid character '${first}' looking for beginning of value`;
    return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (isObject(value) || value === null) return undefined;
  const type = Array.isArray(value) ? 'array' : typeof value;
  return `json: cannot unmarshal ${type} into Go value of type map[string]interface {}`;
}

function has(o: KubeObject, key: string): boolean {
  return Object.hasOwn(obj(o.data), key);
}

/** ValidateSecret on the object as stored (stringData folded first). */
export function validateSecretData(input: KubeObject): StatusCause[] {
  const o = foldStringData(input);
  const causes: StatusCause[] = [];
  const size = validateDataMap(o.data, 'data', { base64: true, redact: true }, causes);
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('data', MAX_SECRET_SIZE));

  const type = str(o.type);
  const key = (k: string) => `data[${k}]`;
  switch (type) {
    case SECRET_TYPES.serviceAccountToken:
      if (!str(obj(obj(o.metadata).annotations)[SERVICE_ACCOUNT_NAME_KEY]))
        causes.push(fe.required(`metadata.annotations[${SERVICE_ACCOUNT_NAME_KEY}]`));
      break;
    case SECRET_TYPES.dockercfg:
    case SECRET_TYPES.dockerConfigJson: {
      const k = type === SECRET_TYPES.dockercfg ? '.dockercfg' : '.dockerconfigjson';
      if (!has(o, k)) {
        causes.push(fe.required(key(k)));
        break;
      }
      const bytes = secretValue(o, k);
      const err = bytes && jsonObjectError(bytes);
      if (err) causes.push(fe.invalid(key(k), REDACTED, err));
      break;
    }
    case SECRET_TYPES.basicAuth:
      // Either may be empty, but one of them must be there.
      if (!has(o, 'username') && !has(o, 'password'))
        causes.push(fe.required(key('username')), fe.required(key('password')));
      break;
    case SECRET_TYPES.sshAuth:
      if (!secretValue(o, 'ssh-privatekey')?.length)
        causes.push(fe.required(key('ssh-privatekey')));
      break;
    case SECRET_TYPES.tls:
      if (!has(o, 'tls.crt')) causes.push(fe.required(key('tls.crt')));
      if (!has(o, 'tls.key')) causes.push(fe.required(key('tls.key')));
      break;
    default:
      // Opaque and any other (user-defined) type: no required keys.
      break;
  }
  return causes;
}

/**
 * ValidateSecretUpdate's extra rules, for the update transaction (old = stored): `type`
 * never changes ("field is immutable"); an immutable Secret keeps `immutable` and `data`.
 */
export function validateSecretImmutableUpdate(old: KubeObject, next: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const oldType = str(old.type) || SECRET_TYPES.opaque;
  const newType = str(next.type) || SECRET_TYPES.opaque;
  if (oldType !== newType) causes.push(fe.invalid('type', newType, 'field is immutable'));
  causes.push(...immutableUpdateCauses(foldStringData(next), old, ['data']));
  return causes;
}

export const secretDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  shortNames: [],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: secretSchema,
  validate: (o, old) => [
    ...(old ? validateSecretImmutableUpdate(old, o) : []),
    ...validateSecretData(o),
  ],
  defaults(o) {
    if (o.type === undefined || o.type === '') o.type = SECRET_TYPES.opaque;
  },
  selectableFields: (o) => ({ type: str(o.type) }),
  columns: [
    nameColumn(),
    column(
      'Type',
      'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
    ),
    column(
      'Data',
      "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    ),
    ageColumn(),
  ],
  row: (o, now) => [name(o), str(o.type), Object.keys(obj(o.data)).length, age(o, now)],
});

/**
 * The update-transaction check for either kind (the registry's inUpdateTransaction hook,
 * with `old` read in the same transaction): `type` of Secrets, and everything
 * `immutable: true` freezes. Other kinds: no causes.
 */
export function validateImmutableUpdate(old: KubeObject, next: KubeObject): StatusCause[] {
  if (next.kind === 'Secret') return validateSecretImmutableUpdate(old, next);
  if (next.kind === 'ConfigMap') return validateConfigMapImmutableUpdate(old, next);
  return [];
}
