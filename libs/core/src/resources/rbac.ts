/**
 * rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding, with
 * Kubernetes' defaults (`pkg/apis/rbac/v1/defaults.go`) and validation
 * (`pkg/apis/rbac/validation`). Evaluation lives in `../rbac`.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { nameIsDNSSubdomain, nameIsPathSegment } from '../validation';
import { fe } from './causes';
import { defineResource } from './define';
import { validateLabelSelector } from './label-selector';
import { labelSelectorSchema, typeMeta } from './meta';
import { age, ageColumn, column, name, nameColumn } from './table';
import { arr, deepEqual, isObject, obj, str, type JsonObject } from './util';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

export const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'] as const;

// Every field is optional in the schema (as in Go, where a missing list decodes as nil), so
// that `validate()` reports missing values with Kubernetes' own field errors.
export const policyRuleSchema = z.strictObject({
  verbs: z.array(z.string()).optional(),
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
});

export const aggregationRuleSchema = z.strictObject({
  clusterRoleSelectors: z.array(labelSelectorSchema).optional(),
});

export const subjectSchema = z.strictObject({
  kind: z.string().optional(),
  apiGroup: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
});

export const roleRefSchema = z.strictObject({
  apiGroup: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
});

export const roleSchema = z.strictObject({
  ...typeMeta(RBAC_API_VERSION, 'Role'),
  rules: z.array(policyRuleSchema).optional(),
});

export const clusterRoleSchema = z.strictObject({
  ...typeMeta(RBAC_API_VERSION, 'ClusterRole'),
  rules: z.array(policyRuleSchema).optional(),
  aggregationRule: aggregationRuleSchema.optional(),
});

export const roleBindingSchema = z.strictObject({
  ...typeMeta(RBAC_API_VERSION, 'RoleBinding'),
  subjects: z.array(subjectSchema).optional(),
  roleRef: roleRefSchema.optional(),
});

export const clusterRoleBindingSchema = z.strictObject({
  ...typeMeta(RBAC_API_VERSION, 'ClusterRoleBinding'),
  subjects: z.array(subjectSchema).optional(),
  roleRef: roleRefSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const isEmpty = (v: unknown): boolean => arr(v).length === 0;

/** Kubernetes' `validatePolicyRule`; `namespaced` is true for Role rules. */
function validatePolicyRule(rule: JsonObject, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (isEmpty(rule.verbs)) {
    causes.push(fe.required(`${at}.verbs`, 'verbs must contain at least one value'));
  }
  if (!isEmpty(rule.nonResourceURLs)) {
    if (namespaced) {
      causes.push(
        fe.invalid(
          `${at}.nonResourceURLs`,
          rule.nonResourceURLs,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (!isEmpty(rule.apiGroups) || !isEmpty(rule.resources) || !isEmpty(rule.resourceNames)) {
      causes.push(
        fe.invalid(
          `${at}.nonResourceURLs`,
          rule.nonResourceURLs,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return causes;
  }
  if (isEmpty(rule.apiGroups)) {
    causes.push(
      fe.required(`${at}.apiGroups`, 'resource rules must supply at least one api group'),
    );
  }
  if (isEmpty(rule.resources)) {
    causes.push(fe.required(`${at}.resources`, 'resource rules must supply at least one resource'));
  }
  if (!isEmpty(rule.resourceNames) && arr(rule.resources).length > 1) {
    causes.push(
      fe.required(`${at}.resourceNames`, 'resource names cannot apply to multiple resources'),
    );
  }
  return causes;
}

function validateRules(o: KubeObject, namespaced: boolean): StatusCause[] {
  return arr(o.rules).flatMap((r, i) => validatePolicyRule(obj(r), namespaced, `rules[${i}]`));
}

function validateAggregationRule(o: KubeObject): StatusCause[] {
  if (!isObject(o.aggregationRule)) return [];
  const selectors = arr(o.aggregationRule.clusterRoleSelectors);
  if (selectors.length === 0) {
    return [
      fe.required(
        'aggregationRule.clusterRoleSelectors',
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      ),
    ];
  }
  return selectors.flatMap((s, i) =>
    validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`),
  );
}

/** Kubernetes' `validateRoleBindingSubject`; `namespaced` is true for RoleBindings. */
function validateSubject(subject: JsonObject, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const subjectName = str(subject.name);
  const apiGroup = str(subject.apiGroup);
  if (subjectName === '') causes.push(fe.required(`${at}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (subjectName !== '') {
        for (const msg of nameIsDNSSubdomain(subjectName)) {
          causes.push(fe.invalid(`${at}.name`, subjectName, msg));
        }
      }
      if (apiGroup !== '') causes.push(fe.notSupported(`${at}.apiGroup`, apiGroup, ['']));
      if (!namespaced && str(subject.namespace) === '') {
        causes.push(fe.required(`${at}.namespace`));
      }
      break;
    case 'User':
    case 'Group':
      if (subjectName === '') {
        const what = subject.kind === 'User' ? 'user' : 'group';
        causes.push(fe.invalid(`${at}.name`, subjectName, `${what} name cannot be empty`));
      }
      if (apiGroup !== RBAC_GROUP) {
        causes.push(fe.notSupported(`${at}.apiGroup`, apiGroup, [RBAC_GROUP]));
      }
      break;
    default:
      causes.push(fe.notSupported(`${at}.kind`, str(subject.kind), SUBJECT_KINDS));
  }
  return causes;
}

function validateBinding(
  o: KubeObject,
  old: KubeObject | undefined,
  namespaced: boolean,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = obj(o.roleRef);
  const refApiGroup = str(ref.apiGroup);
  const refKind = str(ref.kind);
  const refName = str(ref.name);
  if (refApiGroup !== RBAC_GROUP) {
    causes.push(fe.notSupported('roleRef.apiGroup', refApiGroup, [RBAC_GROUP]));
  }
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(refKind)) causes.push(fe.notSupported('roleRef.kind', refKind, kinds));
  if (refName === '') {
    causes.push(fe.required('roleRef.name'));
  } else {
    for (const msg of nameIsPathSegment(refName)) {
      causes.push(fe.invalid('roleRef.name', refName, msg));
    }
  }
  arr(o.subjects).forEach((s, i) => {
    causes.push(...validateSubject(obj(s), namespaced, `subjects[${i}]`));
  });
  if (old && !deepEqual(roleRefOf(old), roleRefOf(o))) {
    causes.push(fe.invalid('roleRef', roleRefOf(o), 'cannot change roleRef'));
  }
  return causes;
}

/** The three fields of a roleRef (Go compares the struct; absent and `""` are the same). */
function roleRefOf(o: KubeObject): { apiGroup: string; kind: string; name: string } {
  const ref = obj(o.roleRef);
  return { apiGroup: str(ref.apiGroup), kind: str(ref.kind), name: str(ref.name) };
}

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------

function defaultBinding(o: JsonObject): void {
  if (isObject(o.roleRef) && str(o.roleRef.apiGroup) === '') o.roleRef.apiGroup = RBAC_GROUP;
  else if (o.roleRef === undefined) o.roleRef = { apiGroup: RBAC_GROUP };
  for (const s of arr(o.subjects)) {
    if (!isObject(s) || str(s.apiGroup) !== '') continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const createdAtColumns = [
  nameColumn(),
  column(
    'Created At',
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
    { type: 'date' },
  ),
];

const createdAtRow = (o: KubeObject): unknown[] => [
  name(o),
  obj(o.metadata).creationTimestamp ?? null,
];

const bindingColumns = [
  nameColumn(),
  column(
    'Role',
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
  ),
  ageColumn(),
  column('Users', 'Users in the roleBinding', { wide: true }),
  column('Groups', 'Groups in the roleBinding', { wide: true }),
  column('ServiceAccounts', 'ServiceAccounts in the roleBinding', { wide: true }),
];

/** Kubernetes' `SubjectsStrings`: users, groups and `namespace/name` service accounts. */
export function subjectsStrings(subjects: unknown): {
  users: string[];
  groups: string[];
  serviceAccounts: string[];
} {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(subjects).map(obj)) {
    if (s.kind === 'ServiceAccount') serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s.kind === 'User') users.push(str(s.name));
    else if (s.kind === 'Group') groups.push(str(s.name));
  }
  return { users, groups, serviceAccounts };
}

function bindingRow(o: KubeObject, now: Date): unknown[] {
  const ref = obj(o.roleRef);
  const { users, groups, serviceAccounts } = subjectsStrings(o.subjects);
  return [
    name(o),
    `${str(ref.kind)}/${str(ref.name)}`,
    age(o, now),
    users.join(', '),
    groups.join(', '),
    serviceAccounts.join(', '),
  ];
}

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

const common = {
  group: RBAC_GROUP,
  version: 'v1',
  shortNames: [] as string[],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'path' as const,
};

export const roleDefinition = defineResource({
  ...common,
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  schema: roleSchema,
  validate: (o) => validateRules(o, true),
  columns: createdAtColumns,
  row: createdAtRow,
});

export const clusterRoleDefinition = defineResource({
  ...common,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  schema: clusterRoleSchema,
  validate: (o) => [...validateRules(o, false), ...validateAggregationRule(o)],
  columns: createdAtColumns,
  row: createdAtRow,
});

export const roleBindingDefinition = defineResource({
  ...common,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  schema: roleBindingSchema,
  validate: (o, old) => validateBinding(o, old, true),
  defaults: defaultBinding,
  columns: bindingColumns,
  row: bindingRow,
});

export const clusterRoleBindingDefinition = defineResource({
  ...common,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  schema: clusterRoleBindingSchema,
  validate: (o, old) => validateBinding(o, old, false),
  defaults: defaultBinding,
  columns: bindingColumns,
  row: bindingRow,
});
