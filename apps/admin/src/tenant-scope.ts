// The tenant switcher's choice, for users in several tenants (and cluster admins): lists
// of namespaced objects show only that tenant's namespaces. Empty means all.
const KEY = 'berth.tenant';

let tenant = localStorage.getItem(KEY) ?? '';
let namespaces: Set<string> | undefined;

export function currentTenant(): string {
  return tenant;
}

export function setTenantScope(name: string, tenantNamespaces: string[] | undefined): void {
  tenant = name;
  namespaces = name ? new Set(tenantNamespaces ?? []) : undefined;
  if (name) localStorage.setItem(KEY, name);
  else localStorage.removeItem(KEY);
}

/** Whether an object in `namespace` (or a Namespace named so) is in the chosen tenant. */
export function inScope(namespace: string | undefined): boolean {
  return !namespaces || namespace === undefined || namespaces.has(namespace);
}
