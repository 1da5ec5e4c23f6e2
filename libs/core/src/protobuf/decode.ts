/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), as
 * kubectl sends them for `create namespace|deployment|service|quota…` and `auth can-i`:
 * the magic `k8s\0`, then a `runtime.Unknown` envelope whose `raw` bytes are the object.
 * The result is the object exactly as it would have arrived in JSON.
 */
import { errors } from '../api/status';
import { decodeMessage, type JsonRecord, type ProtoDescriptor } from './descriptor';
import { protobufDescriptorFor } from './kinds';
import { Reader, WireType, wireTypeName } from './wire';

export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** `runtime.TypeMeta` inside the envelope. */
const TYPE_META: ProtoDescriptor = {
  1: { name: 'apiVersion', type: 'string' },
  2: { name: 'kind', type: 'string' },
};

const utf8 = new TextDecoder();

/** True for `application/vnd.kubernetes.protobuf`, whatever its parameters. */
export function isKubernetesProtobuf(contentType: string): boolean {
  return contentType.split(';', 1)[0].trim().toLowerCase() === KUBERNETES_PROTOBUF;
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: { start: number; end: number };
  contentEncoding: string;
  contentType: string;
}

/**
 * Decodes a protobuf request body into the equivalent Kubernetes JSON object. Throws a 400
 * `ApiError` for a body that is not well-formed and a 415 for a kind without a descriptor.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): JsonRecord {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest(
      'protobuf body does not start with the Kubernetes magic number "k8s\\x00" ([107 56 115 0])',
    );
  }
  const env = readEnvelope(body);
  if (!env.apiVersion || !env.kind) {
    throw errors.badRequest(
      'protobuf body does not name its apiVersion and kind (runtime.Unknown typeMeta)',
    );
  }
  const what = clip(`${env.apiVersion} ${env.kind}`);
  if (env.contentEncoding) {
    throw errors.unsupportedMediaType(
      `protobuf body for ${what} uses content encoding "${clip(env.contentEncoding)}", which this server does not support`,
    );
  }
  if (env.contentType && !isKubernetesProtobuf(env.contentType)) {
    throw errors.unsupportedMediaType(
      `protobuf envelope for ${what} carries content type "${clip(env.contentType)}"; send that body directly instead`,
    );
  }
  const desc = protobufDescriptorFor(env.apiVersion, env.kind);
  if (!desc) {
    throw errors.unsupportedMediaType(
      `protobuf bodies for ${what} are not supported by this server; send JSON ` +
        `(kubectl: generate it with --dry-run=client -o json and pipe it to kubectl create -f -)`,
    );
  }
  const object = decodeMessage(body, env.raw.start, env.raw.end, desc, '');
  return { apiVersion: env.apiVersion, kind: env.kind, ...object };
}

/**
 * `runtime.Unknown`: typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3,
 * contentType = 4.
 */
function readEnvelope(body: Uint8Array): Envelope {
  const env: Envelope = {
    apiVersion: '',
    kind: '',
    raw: { start: body.length, end: body.length },
    contentEncoding: '',
    contentType: '',
  };
  const r = new Reader(body, 'the runtime.Unknown envelope', MAGIC.length);
  while (!r.done) {
    const at = r.pos;
    const { field, wire } = r.tag();
    if (field > 4) {
      r.skip(wire);
      continue;
    }
    if (wire !== WireType.LengthDelimited) {
      throw r.fail(`envelope field ${field} arrived as ${wireTypeName(wire)}`, at);
    }
    const slice = r.slice();
    if (field === 1) {
      const typeMeta = decodeMessage(body, slice.start, slice.end, TYPE_META, 'typeMeta');
      env.apiVersion = String(typeMeta.apiVersion ?? env.apiVersion);
      env.kind = String(typeMeta.kind ?? env.kind);
    } else if (field === 2) {
      env.raw = slice;
    } else {
      const text = utf8.decode(body.subarray(slice.start, slice.end));
      if (field === 3) env.contentEncoding = text;
      else env.contentType = text;
    }
  }
  return env;
}

/** Client-chosen text quoted in an error message, kept to a readable length. */
function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
