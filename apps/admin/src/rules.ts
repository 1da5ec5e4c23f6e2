// RBAC rules as SelfSubjectRulesReview returns them, matched as Kubernetes matches them.

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

const has = (list: string[] | undefined, v: string) => !!list?.some((x) => x === '*' || x === v);

/** Kubernetes' rule matching: verb, API group, resource (or resource/subresource), name. */
export function allows(
  rules: ResourceRule[],
  verb: string,
  group: string,
  resource: string,
  name?: string,
): boolean {
  return rules.some(
    (r) =>
      has(r.verbs, verb) &&
      has(r.apiGroups, group) &&
      has(r.resources, resource) &&
      (!r.resourceNames?.length || (!!name && r.resourceNames.includes(name))),
  );
}
