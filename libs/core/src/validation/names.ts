/**
 * Kubernetes' name and metadata validation (k8s.io/apimachinery pkg/util/validation and
 * pkg/api/validation/objectmeta.go), worded as Kubernetes words it.
 *
 * The `is*` helpers return a list of problems (empty when valid), as in Kubernetes; the
 * `validate*` functions return `StatusCause`s ready for a 422 Invalid. Nothing here throws,
 * whatever the input: non-strings, null, huge strings and unicode all produce causes.
 * Lengths are measured in UTF-8 bytes, as Go does.
 */
import type { StatusCause } from '../api/status';
import { fieldErrors } from './field-errors';

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1035_LABEL_MAX_LENGTH = 63;
export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Total size of all annotation keys and values (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_ERR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_ERR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const dns1123LabelRe = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValueRe = new RegExp(`^${LABEL_VALUE_FMT}$`);

const NOT_A_STRING = 'must be a string';

/** Length of `s` in UTF-8 bytes (lone surrogates count as the 3-byte replacement). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join('or ')}regex used for validation is '${fmt}')`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** A DNS (RFC 1123) label: at most 63 characters of `[a-z0-9-]`, alphanumeric at both ends. */
export function isDNS1123Label(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_LABEL_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  }
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) {
      // a valid subdomain but not a label: the dots are the only problem
      errs.push('must not contain dots');
    } else {
      errs.push(regexError(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
    }
  }
  return errs;
}

/** A DNS (RFC 1123) subdomain: dot-separated labels, at most 253 characters. */
export function isDNS1123Subdomain(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

/** A DNS (RFC 1035) label: like an RFC 1123 label but starting with a letter (Service names). */
export function isDNS1035Label(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  if (utf8Length(value) > DNS1035_LABEL_MAX_LENGTH) {
    errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  }
  if (!dns1035LabelRe.test(value)) {
    errs.push(regexError(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

/**
 * A "qualified name" (label and annotation keys, finalizers): an optional DNS subdomain
 * prefix and `/`, then a name of at most 63 characters.
 */
export function isQualifiedName(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) {
      errs.push(`prefix part ${emptyError()}`);
    } else {
      errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
    }
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) {
    errs.push(`name part ${emptyError()}`);
  } else if (utf8Length(name) > QUALIFIED_NAME_MAX_LENGTH) {
    errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  }
  if (!qualifiedNameRe.test(name)) {
    errs.push(
      `name part ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errs;
}

/** A label value: empty, or at most 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends. */
export function isValidLabelValue(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  if (utf8Length(value) > LABEL_VALUE_MAX_LENGTH) {
    errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  }
  if (!labelValueRe.test(value)) {
    errs.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

/** An IANA_SVC_NAME: 1-15 of `[-a-z0-9]`, at least one letter, no leading/trailing/double `-`. */
export function isValidPortName(value: unknown): string[] {
  if (typeof value !== 'string') return [NOT_A_STRING];
  const errs: string[] = [];
  if (utf8Length(value) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(value)) {
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errs.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) {
    errs.push('must not begin or end with a hyphen');
  }
  return errs;
}

/** A non-zero TCP/UDP port number. */
export function isValidPortNumber(value: unknown): string[] {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    return [inclusiveRangeError(1, 65535)];
  }
  return [];
}

/**
 * Replaces a trailing '-' with an alphanumeric so a `generateName` prefix such as `web-`
 * validates (random characters will follow it).
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** Name rule for most kinds: a DNS subdomain. `prefix` is true for `generateName`. */
export function nameIsDNSSubdomain(name: unknown, prefix = false): string[] {
  return isDNS1123Subdomain(prefix && typeof name === 'string' ? maskTrailingDash(name) : name);
}

/** Name rule for Namespaces, Services and the like: a DNS label. */
export function nameIsDNSLabel(name: unknown, prefix = false): string[] {
  return isDNS1123Label(prefix && typeof name === 'string' ? maskTrailingDash(name) : name);
}

/**
 * Name rule for RBAC kinds (Kubernetes' `path.IsValidPathSegmentName`): any string that can
 * be one URL path segment — not `.` or `..`, no `/` or `%` — so `system:aggregate-to-view`
 * is a valid role name. Kubernetes applies the same check to `generateName`.
 */
export function nameIsPathSegment(name: unknown): string[] {
  if (typeof name !== 'string') return ['must be a string'];
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errors: string[] = [];
  for (const illegal of ['/', '%']) {
    if (name.includes(illegal)) errors.push(`may not contain '${illegal}'`);
  }
  return errors;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  // Realm-independent (objects from structuredClone or another vm context count too).
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function guarded(field: string, value: unknown, run: () => StatusCause[]): StatusCause[] {
  try {
    return run();
  } catch {
    // Only reachable with exotic objects (throwing getters, proxies); never from JSON.
    return [fieldErrors.typeInvalid(field, value, 'could not be read')];
  }
}

const MAP_OF_STRINGS = 'must be an object mapping string keys to string values';

/** `metadata.labels`: keys are qualified names, values label values. */
export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isPlainObject(labels)) return [fieldErrors.typeInvalid(field, labels, MAP_OF_STRINGS)];
  return guarded(field, labels, () => {
    const causes: StatusCause[] = [];
    for (const [key, value] of Object.entries(labels)) {
      for (const msg of isQualifiedName(key)) causes.push(fieldErrors.invalid(field, key, msg));
      if (typeof value !== 'string') {
        causes.push(
          fieldErrors.typeInvalid(
            field,
            value,
            `label ${JSON.stringify(key)} must have a string value`,
          ),
        );
        continue;
      }
      for (const msg of isValidLabelValue(value))
        causes.push(fieldErrors.invalid(field, value, msg));
    }
    return causes;
  });
}

/** `metadata.annotations`: keys are qualified names (any case); total size at most 256 KiB. */
export function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isPlainObject(annotations)) {
    return [fieldErrors.typeInvalid(field, annotations, MAP_OF_STRINGS)];
  }
  return guarded(field, annotations, () => {
    const causes: StatusCause[] = [];
    let totalSize = 0;
    for (const [key, value] of Object.entries(annotations)) {
      // Kubernetes: a qualified name, except that case does not matter.
      for (const msg of isQualifiedName(key.toLowerCase())) {
        causes.push(fieldErrors.invalid(field, key, msg));
      }
      totalSize += utf8Length(key);
      if (typeof value !== 'string') {
        causes.push(
          fieldErrors.typeInvalid(
            field,
            value,
            `annotation ${JSON.stringify(key)} must have a string value`,
          ),
        );
        continue;
      }
      totalSize += utf8Length(value);
    }
    if (totalSize > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
      causes.push(fieldErrors.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
    return causes;
  });
}

/** `metadata.finalizers`: a list of qualified names; `orphan` and `foregroundDeletion` exclude each other. */
export function validateFinalizers(finalizers: unknown, field: string): StatusCause[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) {
    return [fieldErrors.typeInvalid(field, finalizers, 'must be a list of strings')];
  }
  const causes: StatusCause[] = [];
  finalizers.forEach((finalizer: unknown, i) => {
    if (typeof finalizer !== 'string') {
      causes.push(fieldErrors.typeInvalid(`${field}[${i}]`, finalizer, NOT_A_STRING));
      return;
    }
    for (const msg of isQualifiedName(finalizer)) {
      causes.push(fieldErrors.invalid(field, finalizer, msg));
    }
  });
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    causes.push(
      fieldErrors.invalid(
        field,
        finalizers,
        'finalizer orphan and foregroundDeletion cannot be both set',
      ),
    );
  }
  return causes;
}

const OWNER_REF_STRING_FIELDS = ['apiVersion', 'kind', 'name', 'uid'] as const;

/** `metadata.ownerReferences`: each needs apiVersion, kind, name and uid; at most one controller. */
export function validateOwnerReferences(refs: unknown, field: string): StatusCause[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) {
    return [fieldErrors.typeInvalid(field, refs, 'must be a list of owner references')];
  }
  const causes: StatusCause[] = [];
  let firstController: string | undefined;
  refs.forEach((ref: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isPlainObject(ref)) {
      causes.push(fieldErrors.typeInvalid(path, ref, 'must be an object'));
      return;
    }
    for (const key of OWNER_REF_STRING_FIELDS) {
      const value = ref[key];
      if (value === undefined || value === null || value === '') {
        causes.push(fieldErrors.required(`${path}.${key}`, 'must not be empty'));
      } else if (typeof value !== 'string') {
        causes.push(fieldErrors.typeInvalid(`${path}.${key}`, value, NOT_A_STRING));
      }
    }
    const { apiVersion, kind, name, controller } = ref;
    if (typeof apiVersion === 'string' && apiVersion !== '') {
      const slashes = apiVersion.split('/').length - 1;
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      if (slashes > 1 || version === '') {
        causes.push(
          fieldErrors.invalid(
            `${path}.apiVersion`,
            apiVersion,
            'must be <group>/<version> or <version>',
          ),
        );
      } else if (apiVersion === 'v1' && kind === 'Event') {
        causes.push(
          fieldErrors.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'),
        );
      }
    }
    if (controller !== undefined && controller !== null && typeof controller !== 'boolean') {
      causes.push(fieldErrors.typeInvalid(`${path}.controller`, controller, 'must be a boolean'));
    }
    if (
      ref.blockOwnerDeletion !== undefined &&
      ref.blockOwnerDeletion !== null &&
      typeof ref.blockOwnerDeletion !== 'boolean'
    ) {
      causes.push(
        fieldErrors.typeInvalid(
          `${path}.blockOwnerDeletion`,
          ref.blockOwnerDeletion,
          'must be a boolean',
        ),
      );
    }
    if (controller === true) {
      const current = `${String(kind)}/${String(name)}`;
      if (firstController === undefined) {
        firstController = current;
      } else {
        causes.push(
          fieldErrors.invalid(
            field,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      }
    }
  });
  return causes;
}

export interface ObjectMetaValidationOptions {
  /** Namespaced kinds need `metadata.namespace`; cluster-scoped kinds must not set it. */
  namespaced: boolean;
  /**
   * Which rule `metadata.name` follows: DNS subdomain (most kinds), DNS label, or a path
   * segment (RBAC roles and bindings).
   */
  nameRule: 'subdomain' | 'label' | 'path';
  /** Require `name` or `generateName` (default true). False e.g. when the name comes from the URL. */
  requireName?: boolean;
  /** Dotted path of the metadata, default `metadata` (e.g. `spec.template.metadata`). */
  path?: string;
}

/**
 * Validates an incoming object's metadata on create. The namespace is only checked for
 * presence and format: whether it matches the request URL is the server's business.
 */
export function validateObjectMeta(
  meta: unknown,
  opts: ObjectMetaValidationOptions,
): StatusCause[] {
  const path = opts.path ?? 'metadata';
  if (meta === undefined || meta === null) meta = {};
  if (!isPlainObject(meta)) return [fieldErrors.typeInvalid(path, meta, 'must be an object')];
  const m = meta;
  return guarded(path, meta, () => {
    const causes: StatusCause[] = [];
    const nameFn =
      opts.nameRule === 'label'
        ? nameIsDNSLabel
        : opts.nameRule === 'path'
          ? nameIsPathSegment
          : nameIsDNSSubdomain;

    const { name, generateName, namespace, generation } = m;
    const hasGenerateName = typeof generateName === 'string' && generateName !== '';
    if (generateName !== undefined && generateName !== null && typeof generateName !== 'string') {
      causes.push(fieldErrors.typeInvalid(`${path}.generateName`, generateName, NOT_A_STRING));
    } else if (hasGenerateName) {
      for (const msg of nameFn(generateName, true)) {
        causes.push(fieldErrors.invalid(`${path}.generateName`, generateName, msg));
      }
    }

    if (name === undefined || name === null || name === '') {
      if ((opts.requireName ?? true) && !hasGenerateName) {
        causes.push(fieldErrors.required(`${path}.name`, 'name or generateName is required'));
      }
    } else if (typeof name !== 'string') {
      causes.push(fieldErrors.typeInvalid(`${path}.name`, name, NOT_A_STRING));
    } else {
      for (const msg of nameFn(name, false)) {
        causes.push(fieldErrors.invalid(`${path}.name`, name, msg));
      }
    }

    const hasNamespace = namespace !== undefined && namespace !== null && namespace !== '';
    if (hasNamespace && typeof namespace !== 'string') {
      causes.push(fieldErrors.typeInvalid(`${path}.namespace`, namespace, NOT_A_STRING));
    } else if (opts.namespaced) {
      if (!hasNamespace) {
        causes.push(fieldErrors.required(`${path}.namespace`));
      } else {
        for (const msg of nameIsDNSLabel(namespace, false)) {
          causes.push(fieldErrors.invalid(`${path}.namespace`, namespace, msg));
        }
      }
    } else if (hasNamespace) {
      causes.push(fieldErrors.forbidden(`${path}.namespace`, 'not allowed on this type'));
    }

    if (generation !== undefined && generation !== null) {
      if (typeof generation !== 'number' || !Number.isInteger(generation)) {
        causes.push(
          fieldErrors.typeInvalid(`${path}.generation`, generation, 'must be an integer'),
        );
      } else if (generation < 0) {
        causes.push(
          fieldErrors.invalid(
            `${path}.generation`,
            generation,
            'must be greater than or equal to 0',
          ),
        );
      }
    }

    causes.push(...validateLabels(m.labels, `${path}.labels`));
    causes.push(...validateAnnotations(m.annotations, `${path}.annotations`));
    causes.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
    causes.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
    return causes;
  });
}
