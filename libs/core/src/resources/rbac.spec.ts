// Expected causes follow Kubernetes' pkg/apis/rbac/validation/validation.go (field paths and
// messages) and pkg/apis/rbac/v1/defaults.go; table columns follow kubectl's printers.
import type { KubeObject } from '../api/types';
import {
  RESOURCES,
  clusterRoleBindingDefinition,
  clusterRoleDefinition,
  findResource,
  findResourceByKind,
  roleBindingDefinition,
  roleDefinition,
  type ResourceDefinition,
} from './index';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-04-30T12:00:00Z';
const RBAC = 'rbac.authorization.k8s.io';
const apiVersion = `${RBAC}/v1`;

const role = (rules: unknown, rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion,
  kind: 'Role',
  metadata: { name: 'pod-reader', namespace: 'team-a', creationTimestamp: created },
  rules,
  ...rest,
});
const clusterRole = (rules: unknown, rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion,
  kind: 'ClusterRole',
  metadata: { name: 'system:aggregate-to-view', creationTimestamp: created },
  rules,
  ...rest,
});
const roleBinding = (rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion,
  kind: 'RoleBinding',
  metadata: { name: 'devs-edit', namespace: 'team-a', creationTimestamp: created },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' },
  subjects: [{ kind: 'Group', name: 'devs', apiGroup: RBAC }],
  ...rest,
});
const clusterRoleBinding = (rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion,
  kind: 'ClusterRoleBinding',
  metadata: { name: 'ops-admin', creationTimestamp: created },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ kind: 'User', name: 'root', apiGroup: RBAC }],
  ...rest,
});

/** Schema check, defaults and semantic validation, in the order the API server runs them. */
function check(def: ResourceDefinition, input: unknown, old?: KubeObject) {
  const schema = def.validateSchema(input);
  return {
    object: schema.object,
    unknownFields: schema.unknownFields,
    // like the registry: schema errors are reported alone, before semantic validation
    causes: schema.causes.length > 0 ? schema.causes : def.validate(schema.object, old),
  };
}

const fields = (causes: { field?: string }[]) => causes.map((c) => c.field);

describe('RBAC kinds', () => {
  it('are served under rbac.authorization.k8s.io/v1 without short names', () => {
    expect(
      [
        roleDefinition,
        clusterRoleDefinition,
        roleBindingDefinition,
        clusterRoleBindingDefinition,
      ].map((d) => [d.group, d.version, d.kind, d.plural, d.singular, d.namespaced, d.shortNames]),
    ).toEqual([
      [RBAC, 'v1', 'Role', 'roles', 'role', true, []],
      [RBAC, 'v1', 'ClusterRole', 'clusterroles', 'clusterrole', false, []],
      [RBAC, 'v1', 'RoleBinding', 'rolebindings', 'rolebinding', true, []],
      [RBAC, 'v1', 'ClusterRoleBinding', 'clusterrolebindings', 'clusterrolebinding', false, []],
    ]);
    for (const d of [
      roleDefinition,
      clusterRoleDefinition,
      roleBindingDefinition,
      clusterRoleBindingDefinition,
    ]) {
      expect(d.hasStatus).toBe(false);
      expect(d.scale).toBeUndefined();
      expect(RESOURCES).toContain(d);
    }
    expect(findResource(RBAC, 'v1', 'clusterroles')).toBe(clusterRoleDefinition);
    expect(findResourceByKind(apiVersion, 'RoleBinding')).toBe(roleBindingDefinition);
  });

  it('accept names that are path segments, such as system: names', () => {
    expect(check(clusterRoleDefinition, clusterRole([])).causes).toEqual([]);
    const bad = (n: string) =>
      check(clusterRoleDefinition, clusterRole([], { metadata: { name: n } })).causes;
    expect(bad('a/b')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "a/b": may not contain '/'`,
      },
    ]);
    expect(bad('50%')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "50%": may not contain '%'`,
      },
    ]);
    expect(bad('..').map((c) => c.message)).toEqual([`Invalid value: "..": may not be '..'`]);
    expect(fields(check(roleDefinition, role([], { metadata: { name: 'r' } })).causes)).toEqual([
      'metadata.namespace',
    ]);
    expect(
      fields(
        check(clusterRoleDefinition, clusterRole([], { metadata: { name: 'r', namespace: 'x' } }))
          .causes,
      ),
    ).toEqual(['metadata.namespace']);
  });
});

describe('Role and ClusterRole rules', () => {
  it('accept resource rules and store them unchanged', () => {
    const rules = [
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['patch'] },
    ];
    const r = check(roleDefinition, role(rules));
    expect(r.causes).toEqual([]);
    expect(r.unknownFields).toEqual([]);
    expect(r.object.rules).toEqual(rules);
  });

  it('require at least one verb', () => {
    for (const verbs of [undefined, []]) {
      expect(
        check(roleDefinition, role([{ apiGroups: [''], resources: ['pods'], verbs }])).causes,
      ).toEqual([
        {
          reason: 'FieldValueRequired',
          field: 'rules[0].verbs',
          message: 'Required value: verbs must contain at least one value',
        },
      ]);
    }
  });

  it('require apiGroups and resources in resource rules', () => {
    expect(check(roleDefinition, role([{ verbs: ['get'] }])).causes).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'rules[0].apiGroups',
        message: 'Required value: resource rules must supply at least one api group',
      },
      {
        reason: 'FieldValueRequired',
        field: 'rules[0].resources',
        message: 'Required value: resource rules must supply at least one resource',
      },
    ]);
  });

  it('allow resourceNames with one resource only', () => {
    expect(
      check(
        roleDefinition,
        role([
          { apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['get'] },
          {
            apiGroups: [''],
            resources: ['pods', 'services'],
            resourceNames: ['a'],
            verbs: ['get'],
          },
        ]),
      ).causes,
    ).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'rules[1].resourceNames',
        message: 'Required value: resource names cannot apply to multiple resources',
      },
    ]);
  });

  it('allow nonResourceURLs only in ClusterRoles, never mixed with resources', () => {
    const urls = { nonResourceURLs: ['/metrics', '/healthz/*'], verbs: ['get'] };
    expect(check(clusterRoleDefinition, clusterRole([urls])).causes).toEqual([]);
    expect(check(roleDefinition, role([urls])).causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'rules[0].nonResourceURLs',
        message:
          'Invalid value: ["/metrics","/healthz/*"]: namespaced rules cannot apply to non-resource URLs',
      },
    ]);
    expect(
      check(clusterRoleDefinition, clusterRole([{ ...urls, apiGroups: [''], resources: ['pods'] }]))
        .causes,
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'rules[0].nonResourceURLs',
        message:
          'Invalid value: ["/metrics","/healthz/*"]: rules cannot apply to both regular resources and non-resource URLs',
      },
    ]);
  });

  it('report unknown fields with their path, as every kind does', () => {
    const r = check(
      roleDefinition,
      role([{ apiGroup: [''], resources: ['pods'], verbs: ['get'] }], { spec: {} }),
    );
    expect(r.unknownFields.sort()).toEqual(['rules[0].apiGroup', 'spec']);
    // the unknown field is dropped, so the rule now lacks its apiGroups
    expect(fields(r.causes)).toEqual(['rules[0].apiGroups']);
  });

  it('report wrongly typed fields by name', () => {
    expect(
      check(roleDefinition, role([{ apiGroups: '', resources: ['pods'], verbs: ['get'] }])).causes,
    ).toEqual([
      expect.objectContaining({ reason: 'FieldValueTypeInvalid', field: 'rules[0].apiGroups' }),
    ]);
  });

  it('accept and store a ClusterRole aggregationRule', () => {
    const aggregationRule = {
      clusterRoleSelectors: [
        { matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } },
      ],
    };
    const r = check(clusterRoleDefinition, clusterRole(undefined, { aggregationRule }));
    expect(r.causes).toEqual([]);
    expect(r.object.aggregationRule).toEqual(aggregationRule);
    expect(check(clusterRoleDefinition, clusterRole([], { aggregationRule: {} })).causes).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'aggregationRule.clusterRoleSelectors',
        message:
          'Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
      },
    ]);
    expect(check(roleDefinition, role([], { aggregationRule })).unknownFields).toEqual([
      'aggregationRule',
    ]);
  });

  it('print NAME and CREATED AT', () => {
    for (const [def, o] of [
      [roleDefinition, role([])],
      [clusterRoleDefinition, clusterRole([])],
    ] as const) {
      expect(def.table.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
        ['Name', 'string', 0],
        ['Created At', 'date', 0],
      ]);
      expect(def.table.row(o, now)).toEqual([o.metadata.name, created]);
    }
  });
});

describe('RoleBinding and ClusterRoleBinding', () => {
  it('default the roleRef and User/Group subject API groups', () => {
    const r = check(
      roleBindingDefinition,
      roleBinding({
        roleRef: { kind: 'Role', name: 'pod-reader' },
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'Group', name: 'devs' },
          { kind: 'ServiceAccount', name: 'ci' },
        ],
      }),
    );
    expect(r.causes).toEqual([]);
    expect(r.object.roleRef).toEqual({ apiGroup: RBAC, kind: 'Role', name: 'pod-reader' });
    expect(r.object.subjects).toEqual([
      { kind: 'User', name: 'alice', apiGroup: RBAC },
      { kind: 'Group', name: 'devs', apiGroup: RBAC },
      // a RoleBinding's service account may omit the namespace (it means the binding's own)
      { kind: 'ServiceAccount', name: 'ci' },
    ]);
  });

  it('reject a roleRef to an unknown kind or group, or without a name', () => {
    expect(
      check(
        roleBindingDefinition,
        roleBinding({ roleRef: { apiGroup: 'example.com', kind: 'Policy' } }),
      ).causes,
    ).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'roleRef.apiGroup',
        message: 'Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'roleRef.kind',
        message: 'Unsupported value: "Policy": supported values: "ClusterRole", "Role"',
      },
      { reason: 'FieldValueRequired', field: 'roleRef.name', message: 'Required value' },
    ]);
    expect(
      fields(check(roleBindingDefinition, roleBinding({ roleRef: undefined })).causes),
    ).toEqual(['roleRef.kind', 'roleRef.name']);
  });

  it('let ClusterRoleBindings reference ClusterRoles only', () => {
    expect(check(clusterRoleBindingDefinition, clusterRoleBinding()).causes).toEqual([]);
    expect(
      check(
        clusterRoleBindingDefinition,
        clusterRoleBinding({ roleRef: { apiGroup: RBAC, kind: 'Role', name: 'x' } }),
      ).causes,
    ).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'roleRef.kind',
        message: 'Unsupported value: "Role": supported values: "ClusterRole"',
      },
    ]);
  });

  it('validate subjects like Kubernetes', () => {
    const subjects = [
      { kind: 'Robot', name: 'r2' },
      { kind: 'User', name: '' },
      { kind: 'Group', name: 'devs', apiGroup: 'example.com' },
      { kind: 'ServiceAccount', name: 'Not_A_Name', namespace: 'team-a' },
      { kind: 'ServiceAccount', name: 'ci', apiGroup: RBAC, namespace: 'team-a' },
    ];
    expect(check(roleBindingDefinition, roleBinding({ subjects })).causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'subjects[0].kind',
        message: 'Unsupported value: "Robot": supported values: "Group", "ServiceAccount", "User"',
      },
      { reason: 'FieldValueRequired', field: 'subjects[1].name', message: 'Required value' },
      {
        reason: 'FieldValueInvalid',
        field: 'subjects[1].name',
        message: 'Invalid value: "": user name cannot be empty',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'subjects[2].apiGroup',
        message: 'Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      },
      expect.objectContaining({
        reason: 'FieldValueInvalid',
        field: 'subjects[3].name',
        message: expect.stringMatching(
          /^Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain/,
        ),
      }),
      {
        reason: 'FieldValueNotSupported',
        field: 'subjects[4].apiGroup',
        message: 'Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
      },
    ]);
  });

  it('require the namespace of service accounts in ClusterRoleBindings', () => {
    expect(
      check(
        clusterRoleBindingDefinition,
        clusterRoleBinding({ subjects: [{ kind: 'ServiceAccount', name: 'ci' }] }),
      ).causes,
    ).toEqual([
      { reason: 'FieldValueRequired', field: 'subjects[0].namespace', message: 'Required value' },
    ]);
    expect(
      check(
        clusterRoleBindingDefinition,
        clusterRoleBinding({
          subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'ops' }],
        }),
      ).causes,
    ).toEqual([]);
  });

  it('make roleRef immutable', () => {
    for (const [def, make] of [
      [roleBindingDefinition, roleBinding],
      [clusterRoleBindingDefinition, clusterRoleBinding],
    ] as const) {
      const old = check(def, make()).object;
      const changed = structuredClone(old);
      (changed.roleRef as Record<string, string>).name = 'admin';
      expect(def.validate(changed, old)).toEqual([
        {
          reason: 'FieldValueInvalid',
          field: 'roleRef',
          message: `Invalid value: {"apiGroup":"${RBAC}","kind":"ClusterRole","name":"admin"}: cannot change roleRef`,
        },
      ]);
      // subjects may change
      const moreSubjects = structuredClone(old);
      moreSubjects.subjects = [{ kind: 'User', name: 'bob', apiGroup: RBAC }];
      expect(def.validate(moreSubjects, old)).toEqual([]);
    }
  });

  it('print NAME, ROLE, AGE and, wide, USERS, GROUPS, SERVICEACCOUNTS', () => {
    const subjects = [
      { kind: 'User', name: 'alice', apiGroup: RBAC },
      { kind: 'User', name: 'bob', apiGroup: RBAC },
      { kind: 'Group', name: 'devs', apiGroup: RBAC },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'team-a' },
    ];
    for (const [def, o] of [
      [roleBindingDefinition, roleBinding({ subjects })],
      [clusterRoleBindingDefinition, clusterRoleBinding({ subjects })],
    ] as const) {
      expect(def.table.columns.map((c) => [c.name, c.priority])).toEqual([
        ['Name', 0],
        ['Role', 0],
        ['Age', 0],
        ['Users', 1],
        ['Groups', 1],
        ['ServiceAccounts', 1],
      ]);
      const ref = o.roleRef as { kind: string; name: string };
      expect(def.table.row(o, now)).toEqual([
        o.metadata.name,
        `ClusterRole/${ref.name}`,
        '24h',
        'alice, bob',
        'devs',
        'team-a/ci',
      ]);
    }
    expect(roleBindingDefinition.table.row(roleBinding({ subjects: undefined }), now)).toEqual([
      'devs-edit',
      'ClusterRole/edit',
      '24h',
      '',
      '',
      '',
    ]);
  });
});
