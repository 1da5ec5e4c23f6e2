// Sign-in over POST /auth/login (a session JWT), identity from the session and the
// tenants the user belongs to, and capabilities from SelfSubjectAccessReviews so that
// react-admin hides what the caller may not do.
import type { AuthProvider } from 'react-admin';
import { ruleAllows } from '@berth/core/rbac/evaluate';
import type { PolicyRule } from '@berth/core/rbac/types';
import {
  getSession,
  listAll,
  requestJson,
  RESOURCES,
  setSession,
  type KubeObject,
  type Obj,
  type Session,
} from './api';

export interface Permissions {
  clusterAdmin: boolean;
  username: string;
  /** The tenants the user is a member of, with the role in each. */
  tenants: Array<{ name: string; role: string }>;
}

let permissions: Promise<Permissions> | undefined;
const reviews = new Map<string, Promise<boolean>>();
let namespaces: Promise<string[]> | undefined;

function reset(): void {
  permissions = undefined;
  namespaces = undefined;
  reviews.clear();
  rulesByNamespace.clear();
}

/** Forget cached capabilities (after a change that may alter them, e.g. a new namespace). */
export function invalidateCapabilities(): void {
  reviews.clear();
  rulesByNamespace.clear();
  namespaces = undefined;
}

export function loadPermissions(): Promise<Permissions> {
  permissions ??= (async () => {
    const s = getSession();
    if (!s) throw new Error('not signed in');
    const tenants = await listAll(`${RESOURCES.tenants.base}/tenants`).catch(() => ({
      items: [] as KubeObject[],
    }));
    return {
      clusterAdmin: s.user.clusterAdmin,
      username: s.user.username,
      tenants: tenants.items.map((t) => ({
        name: t.metadata.name,
        role:
          (t.spec?.members as Array<{ user: string; role: string }> | undefined)?.find(
            (m) => m.user === s.user.username,
          )?.role ?? (s.user.clusterAdmin ? 'cluster-admin' : ''),
      })),
    };
  })();
  permissions.catch(() => (permissions = undefined));
  return permissions;
}

function visibleNamespaces(): Promise<string[]> {
  namespaces ??= listAll('/api/v1/namespaces')
    .then((l) => l.items.map((n) => n.metadata.name))
    .catch(() => []);
  return namespaces;
}

const rulesByNamespace = new Map<string, Promise<PolicyRule[] | undefined>>();

/**
 * Whether the caller's rules (a SelfSubjectRulesReview's resourceRules) allow `verb` on
 * `resource` (`plural` or `plural/subresource`), matched by @berth/core as the API does.
 */
function allows(
  rules: PolicyRule[],
  verb: string,
  apiGroup: string,
  resource: string,
  name?: string,
): boolean {
  const [plural, subresource] = resource.split('/');
  const attrs = {
    user: { name: '', groups: [] },
    verb,
    apiGroup,
    resource: plural,
    subresource,
    name,
    resourceRequest: true,
  };
  return rules.some((r) => ruleAllows(r, attrs));
}

/**
 * What the caller may do in a namespace ('' for cluster-scoped objects): one
 * SelfSubjectRulesReview per namespace, cached for the session, evaluated here (undefined
 * when the API says the list is incomplete: then ask per action).
 */
function rulesFor(namespace: string): Promise<PolicyRule[] | undefined> {
  let rules = rulesByNamespace.get(namespace);
  if (!rules) {
    rules = requestJson<Obj>('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      method: 'POST',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: namespace ? { namespace } : {},
      },
    })
      .then((r) => (r.status?.incomplete ? undefined : (r.status?.resourceRules as PolicyRule[])))
      .catch(() => undefined);
    rulesByNamespace.set(namespace, rules);
  }
  return rules;
}

/** Whether the caller may do `verb` on `resource` (e.g. `deployments/scale`), cached. */
export function can(
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
): Promise<boolean> {
  const key = `${verb} ${resource} ${namespace ?? ''} ${name ?? ''}`;
  let answer = reviews.get(key);
  if (!answer) {
    const [plural] = resource.split('/');
    const info = RESOURCES[plural];
    const scope = info?.namespaced ? (namespace ?? '') : '';
    answer = rulesFor(scope).then((rules) =>
      rules
        ? allows(rules, verb, info?.group ?? '', resource, name)
        : accessReview(verb, resource, namespace, name),
    );
    reviews.set(key, answer);
  }
  return answer;
}

/** One SelfSubjectAccessReview (when the rules review is incomplete). */
function accessReview(
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
): Promise<boolean> {
  const [plural, subresource] = resource.split('/');
  const info = RESOURCES[plural];
  return requestJson<Obj>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    method: 'POST',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb,
          group: info?.group ?? '',
          resource: info?.plural ?? plural,
          ...(subresource ? { subresource } : {}),
          ...(namespace ? { namespace } : {}),
          ...(name ? { name } : {}),
        },
      },
    },
  })
    .then((r) => r.status?.allowed === true)
    .catch(() => false);
}

/** Allowed in the object's namespace, or (no object) in any namespace the caller sees. */
export async function canSomewhere(
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
): Promise<boolean> {
  const info = RESOURCES[resource.split('/')[0]];
  if (!info?.namespaced || namespace) return can(verb, resource, namespace, name);
  if (await can(verb, resource)) return true;
  const all = await visibleNamespaces();
  const answers = await Promise.all(all.map((ns) => can(verb, resource, ns)));
  return answers.some(Boolean);
}

const FILTERED_LISTS = ['namespaces', 'quotarequests'];

const VERBS: Record<string, string> = {
  list: 'list',
  show: 'get',
  create: 'create',
  clone: 'create',
  edit: 'update',
  delete: 'delete',
  export: 'list',
};

export const authProvider: AuthProvider = {
  async login({ username, password }: { username: string; password: string }) {
    reset();
    const s = await requestJson<Session>('/auth/login', {
      method: 'POST',
      body: { username, password },
      token: null,
    });
    setSession(s);
  },
  async logout() {
    setSession(undefined);
    reset();
  },
  async checkAuth() {
    if (!getSession()) throw new Error('Your session has ended: sign in again');
  },
  async checkError(error: { status?: number }) {
    if (error?.status === 401) {
      setSession(undefined);
      reset();
      throw new Error('Your session has ended: sign in again');
    }
  },
  async getIdentity() {
    const s = getSession();
    if (!s) throw new Error('not signed in');
    return { id: s.user.username, fullName: s.user.displayName || s.user.username };
  },
  getPermissions: () => loadPermissions(),
  async canAccess({ action, resource, record }) {
    const session = getSession();
    if (!session) return false;
    const perms = await loadPermissions().catch(() => undefined);
    switch (resource) {
      case 'tokens':
        return true;
      case 'members':
        return action === 'list' || action === 'show';
      case 'audit':
        return (
          (action === 'list' || action === 'show') &&
          !!perms &&
          (perms.clusterAdmin || perms.tenants.some((t) => t.role === 'tenant-admin'))
        );
      case 'users':
        return !!perms?.clusterAdmin;
      case 'quotarequests':
        // Tenant admins file them (the API's own rule, beside RBAC); deciding is RBAC's.
        if (action === 'create' || action === 'clone')
          return (
            !!perms && (perms.clusterAdmin || perms.tenants.some((t) => t.role === 'tenant-admin'))
          );
        break;
    }
    // Lists are filtered per caller: everyone may list what they can see at all.
    if (action === 'list' && FILTERED_LISTS.includes(resource)) return true;
    // Reading one object: the API answers (404 for what does not exist for the caller).
    if (action === 'show' && !record) return true;
    const verb = VERBS[action] ?? action;
    const meta = (record as KubeObject | undefined)?.metadata;
    return canSomewhere(verb, resource, meta?.namespace, meta?.name);
  },
};
