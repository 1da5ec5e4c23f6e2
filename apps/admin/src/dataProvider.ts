// react-admin's dataProvider over Berth's Kubernetes-shaped REST API: whole lists are read
// page by page (limit/continue) and sorted and paged in the browser; filters become
// namespaces, label and field selectors. Also: tokens and audit (Berth's own endpoints)
// and the extra verbs the views need (patch, scale, logs).
import type { DataProvider, GetListParams, RaRecord } from 'react-admin';
import {
  apiVersionOf,
  collectionPath,
  idOf,
  listAll,
  objectPath,
  request,
  requestJson,
  RESOURCES,
  splitId,
  withQuery,
  type KubeObject,
  type Obj,
} from './api';
import { currentTenant, inScope } from './tenant-scope';

/** A field path like `metadata.creationTimestamp` read from an object. */
export function pick(o: Obj, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v == null ? v : (v as Obj)[k]), o);
}

/** `{status: {phase: 'Pending'}}` (react-admin's filter for `status.phase`) → `{'status.phase': 'Pending'}`. */
export function flatten(o: Obj, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Obj, key));
    else out[key] = v;
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''), undefined, { numeric: true });
}

function page<T extends Obj>(rows: T[], params: GetListParams) {
  const { field, order } = params.sort ?? { field: 'id', order: 'ASC' };
  const sorted = [...rows].sort(
    (x, y) => compare(pick(x, field), pick(y, field)) * (order === 'DESC' ? -1 : 1),
  );
  const { page: p, perPage } = params.pagination ?? { page: 1, perPage: 1000 };
  return { data: sorted.slice((p - 1) * perPage, p * perPage), total: sorted.length };
}

const withId = (o: KubeObject) => ({ ...o, id: idOf(o) });

/**
 * A Secret as the dashboard holds it: its keys, never its values (those are read one at a
 * time by a reveal, see views/secrets.tsx), so no plaintext sits in the page until asked for.
 */
export function masked(o: KubeObject): KubeObject {
  const { data, stringData: _s, ...rest } = o;
  // No `data` stays none (an edit then creates the map), as the API stores it.
  if (!data) return rest as KubeObject;
  return { ...rest, data: Object.fromEntries(Object.keys(data).map((k) => [k, ''])) };
}

/** What the cache may hold of an object the API answered with. */
const cached = (resource: string, o: KubeObject) => withId(resource === 'secrets' ? masked(o) : o);

function strip(data: Obj): KubeObject {
  const { id: _id, ...rest } = data;
  return rest as KubeObject;
}

function info(resource: string) {
  const i = RESOURCES[resource];
  if (!i) throw new Error(`unknown resource ${resource}`);
  return i;
}

async function getList(resource: string, params: GetListParams) {
  const f = (params.filter ?? {}) as Obj;
  if (resource === 'tokens') {
    const r = await requestJson<{ items: Obj[] }>('/auth/tokens');
    return page(r.items, params);
  }
  if (resource === 'audit') {
    const r = await requestJson<{ items: Obj[] }>(
      withQuery('/audit/events', {
        tenant: f.tenant,
        namespace: f.namespace,
        user: f.user,
        limit: 500,
      }),
    );
    // The dashboard's own access reviews are recorded too; shown only when asked for.
    const items = f.reviews
      ? r.items
      : r.items.filter((e) => !String(e.resource ?? '').startsWith('selfsubject'));
    return page(items, params);
  }
  const i = info(resource);
  const { items } = await listAll(collectionPath(i, f.namespace), {
    labelSelector: f.labelSelector,
    fieldSelector: f.fieldSelector,
  });
  let rows = items.map((o) => cached(resource, o));
  // The tenant switcher narrows namespaced lists (and the namespace list) to one tenant.
  // (`allTenants` asks for everything, e.g. a node's allocation counts every tenant's pods.)
  if (!f.allTenants) {
    if (i.namespaced && !f.namespace) rows = rows.filter((o) => inScope(o.metadata.namespace));
    if (resource === 'namespaces') rows = rows.filter((o) => inScope(o.metadata.name));
    if (resource === 'tenants' && currentTenant())
      rows = rows.filter((o) => o.metadata.name === currentTenant());
  }
  if (f.q) rows = rows.filter((o) => o.metadata.name.includes(String(f.q)));
  for (const [key, value] of Object.entries(flatten(f))) {
    if (['q', 'namespace', 'labelSelector', 'fieldSelector', 'allTenants'].includes(key)) continue;
    if (value === undefined || value === '') continue;
    rows = rows.filter((o) => String(pick(o, key)) === String(value));
  }
  return page(rows, params);
}

async function getOne(resource: string, id: string | number): Promise<RaRecord> {
  const { namespace, name } = splitId(id);
  if (resource === 'secrets') {
    // Its keys by a list (not an audited read of the Secret): only a Reveal reads the values.
    const { items } = await listAll(collectionPath(info(resource), namespace), {
      fieldSelector: `metadata.name=${name}`,
    });
    if (!items[0]) throw new Error(`secrets "${name}" not found`);
    return withId(masked(items[0]));
  }
  const o = await requestJson<KubeObject>(objectPath(info(resource), namespace, name));
  return withId(o);
}

export interface BerthDataProvider extends DataProvider {
  /** PATCH an object (merge patch unless told) or one of its subresources. */
  patch(
    resource: string,
    id: string,
    body: unknown,
    opts?: { subresource?: string; contentType?: string },
  ): Promise<KubeObject>;
  /** Creates an object from a manifest (YAML parsed by the caller). */
  apply(manifest: KubeObject): Promise<KubeObject>;
}

export const dataProvider: BerthDataProvider = {
  getList: async (resource, params) => getList(resource, params) as never,
  getOne: async (resource, { id }) => ({ data: (await getOne(resource, id)) as never }),
  getMany: async (resource, { ids }) => ({
    data: (await Promise.all(ids.map((id) => getOne(resource, id)))) as never,
  }),
  getManyReference: async (resource, params) =>
    getList(resource, {
      ...params,
      filter: { ...params.filter, [params.target]: params.id },
    }) as never,
  create: async (resource, { data }) => {
    if (resource === 'tokens') {
      const created = await requestJson<Obj>('/auth/tokens', { method: 'POST', body: data });
      return { data: created as never };
    }
    const i = info(resource);
    const body = strip(data as Obj);
    body.apiVersion ??= apiVersionOf(i);
    body.kind ??= i.kind;
    const o = await requestJson<KubeObject>(
      collectionPath(i, i.namespaced ? body.metadata?.namespace : undefined),
      { method: 'POST', body },
    );
    return { data: cached(resource, o) as never };
  },
  // `meta.jsonPatch`: a JSON Patch (RFC 6902) instead of a PUT of the whole object (the
  // key-value editor's: it changes a Secret without reading the values it keeps).
  update: async (resource, { id, data, meta }) => {
    const { namespace, name } = splitId(id);
    const path = objectPath(info(resource), namespace, name);
    const o = meta?.jsonPatch
      ? await requestJson<KubeObject>(path, {
          method: 'PATCH',
          body: meta.jsonPatch,
          contentType: 'application/json-patch+json',
        })
      : await requestJson<KubeObject>(path, { method: 'PUT', body: strip(data as Obj) });
    return { data: cached(resource, o) as never };
  },
  updateMany: async (resource, { ids, data }) => {
    await Promise.all(
      ids.map((id) => dataProvider.update(resource, { id, data, previousData: {} })),
    );
    return { data: ids };
  },
  delete: async (resource, { id, previousData, meta }) => {
    if (resource === 'tokens') {
      const r = await requestJson<Obj>(`/auth/tokens/${encodeURIComponent(String(id))}`, {
        method: 'DELETE',
      });
      return { data: r as never };
    }
    const { namespace, name } = splitId(id);
    // `meta.propagationPolicy` (e.g. Background: a Job's pods go with it) as DeleteOptions.
    const policy = (meta as Obj | undefined)?.propagationPolicy as string | undefined;
    await request(objectPath(info(resource), namespace, name), {
      method: 'DELETE',
      body: policy
        ? { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: policy }
        : undefined,
    });
    return { data: (previousData ?? { id }) as never };
  },
  deleteMany: async (resource, { ids }) => {
    await Promise.all(ids.map((id) => dataProvider.delete(resource, { id })));
    return { data: ids };
  },
  async patch(resource, id, body, opts = {}) {
    const { namespace, name } = splitId(id);
    const path = objectPath(info(resource), namespace, name);
    return requestJson<KubeObject>(opts.subresource ? `${path}/${opts.subresource}` : path, {
      method: 'PATCH',
      body,
      contentType: opts.contentType ?? 'application/merge-patch+json',
    });
  },
  async apply(manifest) {
    const entry = Object.entries(RESOURCES).find(
      ([, i]) => i.kind === manifest.kind && apiVersionOf(i) === manifest.apiVersion,
    );
    if (!entry)
      throw new Error(
        `${manifest.apiVersion ?? '?'}/${manifest.kind ?? '?'} cannot be created here: use Deployments, Services, Pods, ResourceQuotas or LimitRanges`,
      );
    const created = await dataProvider.create(entry[0], { data: manifest });
    return created.data as unknown as KubeObject;
  },
};
