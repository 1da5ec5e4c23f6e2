/**
 * A tenant's namespace limit, pure: the denial for one namespace too many, naming the
 * tenant's namespaces and what to do. `owned` are the tenant's other namespaces.
 */
export function namespaceLimitMessage(
  namespace: string,
  tenant: string,
  owned: readonly string[],
  limit: number | undefined,
): string | undefined {
  if (limit === undefined || owned.length < limit) return undefined;
  return `namespace "${namespace}" is forbidden: tenant "${tenant}" already has ${owned.length} of its ${limit} namespaces (${[...owned].sort().join(', ')}); delete one or ask a cluster admin to raise spec.namespaceLimit`;
}
