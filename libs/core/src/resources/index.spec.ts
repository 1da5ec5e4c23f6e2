// The OpenAPI 3.0 meta-schema and the draft-04 validator that @seriousme/openapi-schema-validator
// uses (that package itself is ESM-only, so its pieces are loaded directly).
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import oas30 from '@seriousme/openapi-schema-validator/schemas/v3.0/schema.json';
import {
  API_GROUPS,
  RESOURCES,
  deploymentDefinition,
  findResource,
  findResourceByKind,
  groupVersion,
  podDefinition,
  qualifiedResource,
} from './index';

describe('registry', () => {
  it('holds the built-in kinds with unique names', () => {
    expect(RESOURCES.map((r) => `${groupVersion(r)}/${r.kind}`)).toEqual([
      'v1/Namespace',
      'v1/Node',
      'v1/Pod',
      'v1/Service',
      'v1/Endpoints',
      'v1/Event',
      'v1/ResourceQuota',
      'v1/LimitRange',
      'v1/ServiceAccount',
      'v1/ReplicationController',
      'v1/ConfigMap',
      'v1/Secret',
      'apps/v1/Deployment',
      'apps/v1/ReplicaSet',
      'apps/v1/DaemonSet',
      'apps/v1/ControllerRevision',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'rbac.authorization.k8s.io/v1/Role',
      'coordination.k8s.io/v1/Lease',
      'tenancy.berth.dev/v1/Tenant',
      'tenancy.berth.dev/v1/QuotaRequest',
      'batch/v1/Job',
      'batch/v1/CronJob',
      'policy/v1/PodDisruptionBudget',
    ]);
    const plurals = RESOURCES.map(qualifiedResource);
    expect(new Set(plurals).size).toBe(plurals.length);
    const shortNames = RESOURCES.flatMap((r) => r.shortNames);
    expect(shortNames.sort()).toEqual([
      'cj',
      'cm',
      'deploy',
      'ds',
      'ep',
      'ev',
      'limits',
      'no',
      'ns',
      'pdb',
      'po',
      'qr',
      'quota',
      'rc',
      'rs',
      'sa',
      'svc',
      'tnt',
    ]);
    expect(RESOURCES.filter((r) => r.categories.includes('all')).map((r) => r.plural)).toEqual([
      'pods',
      'services',
      'replicationcontrollers',
      'deployments',
      'replicasets',
      'daemonsets',
      'jobs',
      'cronjobs',
    ]);
    expect(RESOURCES.filter((r) => !r.namespaced).map((r) => r.kind)).toEqual([
      'Namespace',
      'Node',
      'ClusterRoleBinding',
      'ClusterRole',
      'Tenant',
      'QuotaRequest',
    ]);
    expect(RESOURCES.filter((r) => !r.hasStatus).map((r) => r.kind)).toEqual([
      'Endpoints',
      'Event',
      'LimitRange',
      'ServiceAccount',
      'ConfigMap',
      'Secret',
      'ControllerRevision',
      'ClusterRoleBinding',
      'ClusterRole',
      'RoleBinding',
      'Role',
      'Lease',
    ]);
    expect(RESOURCES.filter((r) => r.tracksGeneration).map((r) => r.kind)).toEqual([
      'ReplicationController',
      'Deployment',
      'ReplicaSet',
      'DaemonSet',
      'Tenant',
      'Job',
      'CronJob',
      'PodDisruptionBudget',
    ]);
    expect(RESOURCES.filter((r) => r.scale).map((r) => r.kind)).toEqual([
      'ReplicationController',
      'Deployment',
      'ReplicaSet',
    ]);
    for (const r of RESOURCES) {
      expect(r.verbs).toEqual([
        'create',
        'delete',
        'deletecollection',
        'get',
        'list',
        'patch',
        'update',
        'watch',
      ]);
      expect(r.listKind).toBe(`${r.kind}List`);
    }
  });

  it('finds resources by URL plural', () => {
    expect(findResource('', 'v1', 'pods')).toBe(podDefinition);
    expect(findResource('apps', 'v1', 'deployments')).toBe(deploymentDefinition);
    expect(findResource('', 'v1', 'pod')).toBeUndefined();
    expect(findResource('', 'v1', 'deployments')).toBeUndefined();
    expect(findResource('apps', 'v2', 'deployments')).toBeUndefined();
  });

  it('finds resources by apiVersion and kind', () => {
    expect(findResourceByKind('v1', 'Pod')).toBe(podDefinition);
    expect(findResourceByKind('apps/v1', 'Deployment')).toBe(deploymentDefinition);
    expect(findResourceByKind('v1', 'Deployment')).toBeUndefined();
    expect(findResourceByKind('apps/v1', 'pod')).toBeUndefined();
  });

  it('lists API groups for discovery', () => {
    expect(API_GROUPS).toEqual([
      { group: '', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'apps', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'rbac.authorization.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'coordination.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'tenancy.berth.dev', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'batch', versions: ['v1'], preferredVersion: 'v1' },
      { group: 'policy', versions: ['v1'], preferredVersion: 'v1' },
    ]);
  });
});

describe('jsonSchema', () => {
  it('describes each object with its group-version-kind', () => {
    for (const r of RESOURCES) {
      const schema = r.jsonSchema();
      expect(schema).toMatchObject({
        type: 'object',
        required: expect.arrayContaining(['apiVersion', 'kind']),
        'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
      });
      const props = schema.properties as Record<string, Record<string, unknown>>;
      expect(props.apiVersion).toEqual({ type: 'string', enum: [groupVersion(r)] });
      expect(props.metadata).toMatchObject({ type: 'object' });
      // callers may mutate what they get
      schema.type = 'mutated';
      expect(r.jsonSchema().type).toBe('object');
    }
  });

  it('marks int-or-string fields and merge keys', () => {
    type Node = { properties: Record<string, Node>; [k: string]: unknown };
    const spec = (deploymentDefinition.jsonSchema() as unknown as Node).properties.spec!.properties;
    const podSpec = spec.template!.properties.spec!.properties;
    expect(spec.strategy!.properties.rollingUpdate!.properties.maxSurge).toMatchObject({
      'x-kubernetes-int-or-string': true,
    });
    expect(podSpec.containers).toMatchObject({
      type: 'array',
      'x-kubernetes-patch-merge-key': 'name',
    });
    expect(spec.replicas).toEqual({ type: 'integer', format: 'int32' });
  });

  it('is valid inside an OpenAPI 3.0 document', () => {
    const schemas = Object.fromEntries(
      RESOURCES.map((r) => [
        `io.k8s.api.${r.group || 'core'}.${r.version}.${r.kind}`,
        r.jsonSchema(),
      ]),
    );
    const document = {
      openapi: '3.0.0',
      info: { title: 'Berth', version: 'v1' },
      paths: {},
      components: { schemas },
    };
    const ajv = new Ajv04({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(oas30);
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // and the check has teeth: JSON-Schema-only keywords are rejected in OpenAPI 3.0
    const broken = structuredClone(document);
    (broken.components.schemas as Record<string, unknown>).Broken = { type: 'string', const: 'x' };
    expect(validate(broken)).toBe(false);
  });
});
