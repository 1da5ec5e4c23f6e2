// The one place that talks HTTP to Berth: the session token, Kubernetes paths per
// resource, and errors carrying the API's Status message as written.
import { HttpError } from 'react-admin';
import { fromBase64 } from './key-values';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface KubeObject extends Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
    ownerReferences?: Array<{
      apiVersion?: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
  };
  spec?: Obj;
  status?: Obj;
}

export interface ResourceInfo {
  /** `/api/v1` or `/apis/<group>/<version>` */
  base: string;
  group: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const core = (plural: string, kind: string, namespaced = true): ResourceInfo => ({
  base: '/api/v1',
  group: '',
  plural,
  kind,
  namespaced,
});
const apps = (plural: string, kind: string): ResourceInfo => ({
  base: '/apis/apps/v1',
  group: 'apps',
  plural,
  kind,
  namespaced: true,
});
const batch = (plural: string, kind: string): ResourceInfo => ({
  base: '/apis/batch/v1',
  group: 'batch',
  plural,
  kind,
  namespaced: true,
});
const tenancy = (plural: string, kind: string): ResourceInfo => ({
  base: '/apis/tenancy.berth.dev/v1',
  group: 'tenancy.berth.dev',
  plural,
  kind,
  namespaced: false,
});

/** The Kubernetes-shaped resources the dashboard shows, by react-admin resource name. */
export const RESOURCES: Record<string, ResourceInfo> = {
  namespaces: core('namespaces', 'Namespace', false),
  nodes: core('nodes', 'Node', false),
  pods: core('pods', 'Pod'),
  services: core('services', 'Service'),
  endpoints: core('endpoints', 'Endpoints'),
  events: core('events', 'Event'),
  resourcequotas: core('resourcequotas', 'ResourceQuota'),
  limitranges: core('limitranges', 'LimitRange'),
  deployments: apps('deployments', 'Deployment'),
  replicasets: apps('replicasets', 'ReplicaSet'),
  daemonsets: apps('daemonsets', 'DaemonSet'),
  jobs: batch('jobs', 'Job'),
  cronjobs: batch('cronjobs', 'CronJob'),
  replicationcontrollers: core('replicationcontrollers', 'ReplicationController'),
  configmaps: core('configmaps', 'ConfigMap'),
  secrets: core('secrets', 'Secret'),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount'),
  tenants: tenancy('tenants', 'Tenant'),
  quotarequests: tenancy('quotarequests', 'QuotaRequest'),
};

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/v1` : 'v1';
}

/** The collection path, in one namespace or across all the caller may see. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  return info.namespaced && namespace
    ? `${info.base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
    : `${info.base}/${info.plural}`;
}

export function objectPath(info: ResourceInfo, namespace: string | undefined, name: string) {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

/** react-admin ids: `namespace~name` for namespaced objects (names never hold `~`). */
export function idOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}~${o.metadata.name}` : o.metadata.name;
}

export function splitId(id: string | number): { namespace?: string; name: string } {
  const s = String(id);
  const at = s.indexOf('~');
  return at < 0 ? { name: s } : { namespace: s.slice(0, at), name: s.slice(at + 1) };
}

// ---- session -------------------------------------------------------------------------

const SESSION_KEY = 'berth.session';

export interface Session {
  token: string;
  expiresAt: string;
  user: { username: string; displayName?: string; clusterAdmin: boolean };
}

export function getSession(): Session | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    if (!s || Date.parse(s.expiresAt) <= Date.now()) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

export function setSession(s: Session | undefined): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

// ---- requests ------------------------------------------------------------------------

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Authenticate with this token instead of the session (login uses none). */
  token?: string | null;
  /** Accept header (JSON unless told; logs are plain text). */
  accept?: string;
}

function headers(opts: RequestOptions): Headers {
  const h = new Headers({ Accept: opts.accept ?? 'application/json' });
  const token = opts.token === undefined ? getSession()?.token : opts.token;
  if (token) h.set('Authorization', `Bearer ${token}`);
  if (opts.body !== undefined) h.set('Content-Type', opts.contentType ?? 'application/json');
  return h;
}

/** Turns a failed response into an HttpError whose message is the Status message as sent. */
export async function errorOf(res: Response): Promise<HttpError> {
  const text = await res.text().catch(() => '');
  let body: Obj | undefined;
  try {
    body = JSON.parse(text) as Obj;
  } catch {
    body = undefined;
  }
  const message =
    (typeof body?.message === 'string' && body.message) ||
    text.trim() ||
    `${res.status} ${res.statusText}`;
  return new HttpError(message, res.status, body);
}

export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const res = await fetch(path, {
    method: opts.method ?? 'GET',
    headers: headers(opts),
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function requestJson<T = Obj>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export function withQuery(path: string, query: Record<string, string | number | undefined>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * One value of a Secret, decoded: a fresh GET of the Secret (audited by the API as a read
 * of it), of which only `key` is kept. Undefined when the key is no longer there.
 */
export async function readSecretValue(
  namespace: string | undefined,
  name: string,
  key: string,
): Promise<string | undefined> {
  const fresh = await requestJson<KubeObject>(objectPath(RESOURCES.secrets, namespace, name));
  const raw = (fresh.data as Record<string, string> | undefined)?.[key];
  return raw === undefined ? undefined : fromBase64(raw);
}

/** Every item of a list, following `continue` pages. */
export async function listAll(
  path: string,
  query: Record<string, string | undefined> = {},
  signal?: AbortSignal,
): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const items: KubeObject[] = [];
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const page = await requestJson<{
      items: KubeObject[];
      metadata?: { resourceVersion?: string; continue?: string };
    }>(withQuery(path, { ...query, limit: 500, continue: cont }), { signal });
    items.push(...page.items);
    resourceVersion ||= page.metadata?.resourceVersion ?? '';
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return { items, resourceVersion };
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/**
 * Follows a Kubernetes watch (`?watch=1`, one JSON event per line over a streamed
 * response) until `signal` aborts; reconnects from the last seen resourceVersion.
 */
export async function watch(
  path: string,
  query: Record<string, string | undefined>,
  onEvent: (e: WatchEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let rv = (await listAll(path, query, signal).catch(() => undefined))?.resourceVersion;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await request(
        withQuery(path, { ...query, watch: '1', resourceVersion: rv, allowWatchBookmarks: '1' }),
        { signal },
      );
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        failures = 0;
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const e = JSON.parse(line) as WatchEvent;
          if (e.type === 'ERROR') {
            rv = undefined; // expired: start again from now
            onEvent(e);
            continue;
          }
          rv = e.object.metadata?.resourceVersion ?? rv;
          if (e.type !== 'BOOKMARK') onEvent(e);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      if ((err as HttpError).status === 410) rv = undefined;
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** failures, 10_000)));
  }
}
