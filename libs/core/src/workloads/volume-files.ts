/**
 * The files a configMap, secret, downwardAPI or projected volume holds, as the kubelet's
 * volume plugins compute them (pkg/volume/configmap MakePayload, pkg/volume/secret
 * MakePayload, pkg/volume/downwardapi CollectData, pkg/volume/projected collectData),
 * before the atomic writer puts them on disk. Pure: objects come from a lookup, service
 * account tokens from a callback. Errors are the kubelet's messages (what `kubectl
 * describe pod` shows after `MountVolume.SetUp failed for volume "<name>" : `).
 */
import type { KubeObject } from '../api/types';
import { arr, isInt, obj, str, type JsonObject } from '../resources/util';
import type { ConfigLookup } from './env';
import {
  containerResourceValue,
  extractMetadataField,
  findContainer,
  type NodeInfo,
} from './field-refs';
import { cleanPath, validatePath } from './atomic-writer';

/** configMap, secret, downwardAPI and projected volumes' default file mode. */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;
/** TokenRequest's default lifetime (the API defaults `expirationSeconds` to one hour). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

export interface VolumeFile {
  /** Relative to the volume's root, cleaned (`a/b.txt`). */
  path: string;
  content: Buffer;
  /** Permission bits (0o644…), after the fsGroup adjustment. */
  mode: number;
}

/** What the kubelet asks the API for when projecting a serviceAccountToken. */
export interface TokenRequest {
  namespace: string;
  serviceAccountName: string;
  /** Empty: the API server's own audiences. */
  audiences: string[];
  expirationSeconds: number;
  boundObject: { apiVersion: 'v1'; kind: 'Pod'; name: string; uid: string };
}

export interface VolumeFilesInput {
  pod: KubeObject;
  /** One entry of `pod.spec.volumes`. */
  volume: JsonObject;
  lookup: ConfigLookup;
  node?: NodeInfo;
  /** Issues a token (the TokenRequest API); throws to fail the volume. */
  issueToken?(request: TokenRequest): string;
}

export type VolumeFilesResult = { ok: true; files: VolumeFile[] } | { ok: false; error: string };

class VolumeError extends Error {}

type Payload = Map<string, { content: Buffer; mode: number }>;

function modeOf(v: unknown, fallback: number): number {
  return isInt(v) ? v : fallback;
}

/** Key → path mappings of a configMap/secret source (MakePayload). */
function keyPayload(
  values: Map<string, Buffer>,
  items: unknown[],
  defaultMode: number,
  optional: boolean,
  missingKey: (key: string) => string,
): Payload {
  const payload: Payload = new Map();
  if (items.length === 0) {
    for (const [k, content] of values) payload.set(k, { content, mode: defaultMode });
    return payload;
  }
  for (const raw of items) {
    const ktp = obj(raw);
    const key = str(ktp.key);
    const content = values.get(key);
    if (!content) {
      if (optional) continue;
      throw new VolumeError(missingKey(key));
    }
    payload.set(str(ktp.path), { content, mode: modeOf(ktp.mode, defaultMode) });
  }
  return payload;
}

function configMapPayload(input: VolumeFilesInput, src: JsonObject, defaultMode: number): Payload {
  const name = str(src.name);
  const optional = src.optional === true;
  const cm = input.lookup.configMap(namespaceOf(input.pod), name);
  if (!cm && !optional) throw new VolumeError(`configmap "${name}" not found`);
  const values = new Map<string, Buffer>();
  // Data first, then BinaryData (validation keeps their keys apart; the latter wins, as in Go).
  for (const [k, v] of Object.entries(cm?.data ?? {})) values.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) values.set(k, v);
  return keyPayload(
    values,
    arr(src.items),
    defaultMode,
    optional,
    (k) => `configmap references non-existent config key: ${k}`,
  );
}

function secretPayload(
  input: VolumeFilesInput,
  src: JsonObject,
  defaultMode: number,
  nameField: string,
): Payload {
  const name = str(src[nameField]);
  const optional = src.optional === true;
  const secret = input.lookup.secret(namespaceOf(input.pod), name);
  if (!secret && !optional) throw new VolumeError(`secret "${name}" not found`);
  const values = new Map(Object.entries(secret?.data ?? {}));
  return keyPayload(
    values,
    arr(src.items),
    defaultMode,
    optional,
    (k) => `references non-existent secret key: ${k}`,
  );
}

/** downwardapi.CollectData: every item is tried; errors are aggregated. */
function downwardApiPayload(
  input: VolumeFilesInput,
  items: unknown[],
  defaultMode: number,
): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const raw of items) {
    const item = obj(raw);
    const path = cleanPath(str(item.path));
    let content = Buffer.alloc(0);
    try {
      if (item.fieldRef !== undefined) {
        content = Buffer.from(extractMetadataField(input.pod, str(obj(item.fieldRef).fieldPath)));
      } else if (item.resourceFieldRef !== undefined) {
        const ref = obj(item.resourceFieldRef);
        const container = findContainer(input.pod, str(ref.containerName));
        content = Buffer.from(containerResourceValue(ref, container, input.node));
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
    payload.set(path, { content, mode: modeOf(item.mode, defaultMode) });
  }
  if (errors.length > 0) throw new VolumeError(aggregate(errors));
  return payload;
}

/** utilerrors.NewAggregate's message. */
function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

function namespaceOf(pod: KubeObject): string {
  return str(obj(pod.metadata).namespace);
}

/**
 * volumeutil.FsUserFrom: the user every container runs as, when they all agree (each
 * container's runAsUser, else the pod's); undefined otherwise.
 */
function fsUser(pod: KubeObject): number | undefined {
  const spec = obj(pod.spec);
  const podUser = obj(spec.securityContext).runAsUser;
  let user: number | undefined;
  const containers = [...arr(spec.initContainers), ...arr(spec.containers)];
  for (const c of containers) {
    const u = obj(obj(c).securityContext).runAsUser ?? podUser;
    if (!isInt(u)) return undefined;
    if (user !== undefined && u !== user) return undefined;
    user = u;
  }
  return user;
}

function projectedPayload(input: VolumeFilesInput, src: JsonObject, defaultMode: number): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  const { pod } = input;
  const fsGroupSet = isInt(obj(obj(pod.spec).securityContext).fsGroup);
  for (const raw of arr(src.sources)) {
    const source = obj(raw);
    try {
      let part: Payload;
      if (source.secret !== undefined)
        part = secretPayload(input, obj(source.secret), defaultMode, 'name');
      else if (source.configMap !== undefined)
        part = configMapPayload(input, obj(source.configMap), defaultMode);
      else if (source.downwardAPI !== undefined)
        part = downwardApiPayload(input, arr(obj(source.downwardAPI).items), defaultMode);
      else if (source.serviceAccountToken !== undefined) {
        const tp = obj(source.serviceAccountToken);
        // With an fsGroup (or a common fsUser), 0600 — the ownership change makes it 0640.
        const mode = fsGroupSet || fsUser(pod) !== undefined ? 0o600 : defaultMode;
        if (!input.issueToken)
          throw new VolumeError('no service account token issuer is configured');
        const meta = obj(pod.metadata);
        const token = input.issueToken({
          namespace: namespaceOf(pod),
          serviceAccountName: str(obj(pod.spec).serviceAccountName) || 'default',
          audiences: str(tp.audience) ? [str(tp.audience)] : [],
          expirationSeconds: isInt(tp.expirationSeconds)
            ? tp.expirationSeconds
            : DEFAULT_TOKEN_EXPIRATION_SECONDS,
          boundObject: { apiVersion: 'v1', kind: 'Pod', name: str(meta.name), uid: str(meta.uid) },
        });
        part = new Map([[str(tp.path), { content: Buffer.from(token, 'utf8'), mode }]]);
      } else continue;
      for (const [k, v] of part) payload.set(k, v);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new VolumeError(aggregate(errors));
  return payload;
}

/**
 * The volume's files, sorted by path, or the kubelet's error. Modes default to the
 * source's `defaultMode` (0644 when absent). With `securityContext.fsGroup`, the
 * ownership change of these read-only volumes adds group read (mode | 0440), as
 * SetVolumeOwnership does; changing the owner is the runtime's job. Paths are checked
 * as the atomic writer checks them (relative, no '..', lengths).
 */
export function computeVolumeFiles(input: VolumeFilesInput): VolumeFilesResult {
  const v = input.volume;
  let payload: Payload;
  try {
    if (v.configMap !== undefined) {
      const src = obj(v.configMap);
      payload = configMapPayload(input, src, modeOf(src.defaultMode, DEFAULT_VOLUME_FILE_MODE));
    } else if (v.secret !== undefined) {
      const src = obj(v.secret);
      payload = secretPayload(
        input,
        src,
        modeOf(src.defaultMode, DEFAULT_VOLUME_FILE_MODE),
        'secretName',
      );
    } else if (v.downwardAPI !== undefined) {
      const src = obj(v.downwardAPI);
      payload = downwardApiPayload(
        input,
        arr(src.items),
        modeOf(src.defaultMode, DEFAULT_VOLUME_FILE_MODE),
      );
    } else if (v.projected !== undefined) {
      const src = obj(v.projected);
      payload = projectedPayload(input, src, modeOf(src.defaultMode, DEFAULT_VOLUME_FILE_MODE));
    } else {
      return {
        ok: false,
        error: `volume ${JSON.stringify(str(v.name))} is not a configMap, secret, downwardAPI or projected volume`,
      };
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const fsGroupSet = isInt(obj(obj(input.pod.spec).securityContext).fsGroup);
  const files: VolumeFile[] = [];
  const seen = new Map<string, VolumeFile>();
  for (const [rawPath, { content, mode }] of payload) {
    const problem = validatePath(rawPath);
    if (problem) return { ok: false, error: problem };
    const path = cleanPath(rawPath);
    const file = { path, content, mode: fsGroupSet ? mode | 0o440 : mode };
    if (seen.has(path)) files.splice(files.indexOf(seen.get(path)!), 1);
    seen.set(path, file);
    files.push(file);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: true, files };
}
