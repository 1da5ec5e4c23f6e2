/**
 * API validation of the volume sources issue 12 brings to life — configMap, secret,
 * downwardAPI and projected — as kube-apiserver's validateConfigMapVolumeSource,
 * validateSecretVolumeSource, validateDownwardAPIVolumeSource and
 * validateProjectedVolumeSource (field paths, including Kubernetes' own quirks: downwardAPI
 * items are reported on the source, not on `items[i]`). pod-spec.ts accepts these sources
 * as opaque objects today; the wiring calls `validateProjectionVolume` per volume.
 */
import type { StatusCause } from '../api/status';
import { isQualifiedName } from '../validation';
import { fe, toQuantity } from './causes';
import { arr, isInt, obj, str, type JsonObject } from './util';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const VOLUME_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];
const RESOURCE_FIELDS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const BYTE_DIVISORS = [
  '1',
  '1k',
  '1M',
  '1G',
  '1T',
  '1P',
  '1E',
  '1Ki',
  '1Mi',
  '1Gi',
  '1Ti',
  '1Pi',
  '1Ei',
];

function validateMode(mode: unknown, field: string, causes: StatusCause[]): void {
  if (isInt(mode) && (mode > 0o777 || mode < 0))
    causes.push(fe.invalid(field, mode, FILE_MODE_ERROR));
}

/** ValidateLocalNonReservedPath: relative, no '..' element, not starting with '..'. */
export function validateLocalNonReservedPath(path: string, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (path.startsWith('/')) causes.push(fe.invalid(field, path, 'must be a relative path'));
  if (path.split('/').includes('..')) causes.push(fe.invalid(field, path, "must not contain '..'"));
  if (path.startsWith('..') && !path.startsWith('../'))
    causes.push(fe.invalid(field, path, "must not start with '..'"));
  return causes;
}

function validateKeyToPath(kp: JsonObject, at: string, causes: StatusCause[]): void {
  if (!str(kp.key)) causes.push(fe.required(`${at}.key`));
  if (!str(kp.path)) causes.push(fe.required(`${at}.path`));
  causes.push(...validateLocalNonReservedPath(str(kp.path), `${at}.path`));
  validateMode(kp.mode, `${at}.mode`, causes);
}

function validateDivisor(
  resource: string,
  divisor: unknown,
  at: string,
  causes: StatusCause[],
): void {
  if (divisor === undefined) return;
  const q = toQuantity(divisor);
  if (q?.isZero()) return;
  const canonical = q ? q.toString() : String(divisor);
  const bad = (what: string, allowed: string) =>
    causes.push(
      fe.invalid(
        `${at}.divisor`,
        resource,
        `only divisor's values ${allowed} are supported with the ${what}`,
      ),
    );
  const bytes = BYTE_DIVISORS.join(', ');
  if (resource.endsWith('.cpu')) {
    if (canonical !== '1m' && canonical !== '1') bad('cpu resource', '1m and 1');
  } else if (resource.endsWith('.memory')) {
    if (!BYTE_DIVISORS.includes(canonical)) bad('memory resource', bytes);
  } else if (resource.endsWith('.ephemeral-storage')) {
    if (!BYTE_DIVISORS.includes(canonical)) bad('local ephemeral storage resource', bytes);
  }
  if (resource.startsWith('requests.hugepages-') || resource.startsWith('limits.hugepages-')) {
    if (!BYTE_DIVISORS.includes(canonical)) bad('hugepages resource', bytes);
  }
}

function validateDownwardApiFile(file: JsonObject, at: string, causes: StatusCause[]): void {
  const path = str(file.path);
  if (!path) causes.push(fe.required(`${at}.path`));
  causes.push(...validateLocalNonReservedPath(path, `${at}.path`));
  if (file.fieldRef !== undefined) {
    const ref = obj(file.fieldRef);
    const refAt = `${at}.fieldRef`;
    const fieldPath = str(ref.fieldPath);
    const version = str(ref.apiVersion) || 'v1';
    if (!fieldPath) causes.push(fe.required(`${refAt}.fieldPath`));
    else if (version !== 'v1')
      causes.push(
        fe.invalid(
          `${refAt}.fieldPath`,
          fieldPath,
          `error converting fieldPath: unsupported pod version: ${version}`,
        ),
      );
    else {
      const m = /^(.+)\['(.*)'\]$/.exec(fieldPath);
      if (m) {
        const [, base, key] = m as unknown as [string, string, string];
        if (base === 'metadata.annotations' || base === 'metadata.labels') {
          const k = base === 'metadata.annotations' ? key.toLowerCase() : key;
          for (const msg of isQualifiedName(k)) causes.push(fe.invalid(refAt, k, msg));
        } else {
          causes.push(
            fe.invalid(
              `${refAt}.fieldPath`,
              fieldPath,
              `error converting fieldPath: field label does not support subscript: ${fieldPath}`,
            ),
          );
        }
      } else if (!VOLUME_FIELD_PATHS.includes(fieldPath)) {
        causes.push(fe.notSupported(`${refAt}.fieldPath`, fieldPath, VOLUME_FIELD_PATHS));
      }
    }
    if (file.resourceFieldRef !== undefined)
      causes.push(
        fe.invalid(
          at,
          'resource',
          'fieldRef and resourceFieldRef can not be specified simultaneously',
        ),
      );
  } else if (file.resourceFieldRef !== undefined) {
    const ref = obj(file.resourceFieldRef);
    const refAt = `${at}.resourceFieldRef`;
    const resource = str(ref.resource);
    if (!str(ref.containerName)) causes.push(fe.required(`${refAt}.containerName`));
    else if (!resource) causes.push(fe.required(`${refAt}.resource`));
    else if (
      !RESOURCE_FIELDS.includes(resource) &&
      !resource.startsWith('requests.hugepages-') &&
      !resource.startsWith('limits.hugepages-')
    )
      causes.push(fe.notSupported(`${refAt}.resource`, resource, RESOURCE_FIELDS));
    validateDivisor(resource, ref.divisor, refAt, causes);
  } else {
    causes.push(fe.required(at, 'one of fieldRef and resourceFieldRef is required'));
  }
  validateMode(file.mode, `${at}.mode`, causes);
}

const TEN_MINUTES = 10 * 60;

/**
 * The causes for one `spec.volumes[i]` entry (`at` = `spec.volumes[i]`) if it is a
 * configMap, secret, downwardAPI or projected volume; [] for other kinds.
 */
export function validateProjectionVolume(volume: JsonObject, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (volume.configMap !== undefined) {
    const src = obj(volume.configMap);
    const f = `${at}.configMap`;
    if (!str(src.name)) causes.push(fe.required(`${f}.name`));
    validateMode(src.defaultMode, `${f}.defaultMode`, causes);
    arr(src.items).forEach((kp, i) => validateKeyToPath(obj(kp), `${f}.items[${i}]`, causes));
  }
  if (volume.secret !== undefined) {
    const src = obj(volume.secret);
    const f = `${at}.secret`;
    if (!str(src.secretName)) causes.push(fe.required(`${f}.secretName`));
    validateMode(src.defaultMode, `${f}.defaultMode`, causes);
    arr(src.items).forEach((kp, i) => validateKeyToPath(obj(kp), `${f}.items[${i}]`, causes));
  }
  if (volume.downwardAPI !== undefined) {
    const src = obj(volume.downwardAPI);
    const f = `${at}.downwardAPI`;
    validateMode(src.defaultMode, `${f}.defaultMode`, causes);
    for (const file of arr(src.items)) validateDownwardApiFile(obj(file), f, causes);
  }
  if (volume.projected !== undefined) {
    const src = obj(volume.projected);
    const f = `${at}.projected`;
    validateMode(src.defaultMode, `${f}.defaultMode`, causes);
    const allPaths = new Set<string>();
    const claim = (path: string, value: unknown) => {
      if (!path) return;
      if (allPaths.has(path)) causes.push(fe.invalid(f, value, 'conflicting duplicate paths'));
      allPaths.add(path);
    };
    arr(src.sources).forEach((raw, i) => {
      const source = obj(raw);
      const s = `${f}.sources[${i}]`;
      let n = 0;
      for (const kind of ['secret', 'configMap'] as const) {
        if (source[kind] === undefined) continue;
        n++;
        const ref = obj(source[kind]);
        if (!str(ref.name)) causes.push(fe.required(`${s}.${kind}.name`));
        arr(ref.items).forEach((kp, j) => {
          validateKeyToPath(obj(kp), `${s}.${kind}.items[${j}]`, causes);
          claim(str(obj(kp).path), str(ref.name));
        });
      }
      if (source.downwardAPI !== undefined) {
        n++;
        for (const file of arr(obj(source.downwardAPI).items)) {
          validateDownwardApiFile(obj(file), `${s}.downwardAPI`, causes);
          claim(str(obj(file).path), str(obj(file).path));
        }
      }
      if (source.serviceAccountToken !== undefined) {
        n++;
        const tp = obj(source.serviceAccountToken);
        const exp =
          isInt(tp.expirationSeconds) && tp.expirationSeconds !== 0 ? tp.expirationSeconds : 3600;
        const e = `${s}.serviceAccountToken.expirationSeconds`;
        if (exp < TEN_MINUTES)
          causes.push(fe.invalid(e, exp, 'may not specify a duration less than 10 minutes'));
        if (exp > 2 ** 32)
          causes.push(fe.invalid(e, exp, 'may not specify a duration larger than 2^32 seconds'));
        if (!str(tp.path)) causes.push(fe.required(`${f}.path`));
        else causes.push(...validateLocalNonReservedPath(str(tp.path), `${f}.path`));
      }
      if (n > 1) causes.push(fe.forbidden(s, 'may not specify more than 1 volume type per source'));
    });
  }
  return causes;
}
