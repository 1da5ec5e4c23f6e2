import { Injectable } from '@nestjs/common';
import { RESOURCES, type ResourceDefinition } from '@berth/core';
import { BERTH_VERSION } from '../discovery/discovery.service';

type Schema = Record<string, unknown>;

function schemaName(def: ResourceDefinition, kind = def.kind): string {
  return `${def.group || 'core'}.${def.version}.${kind}`;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Moves `$defs` of a generated schema into components and rewrites their refs. */
function hoist(name: string, schema: Schema, into: Record<string, Schema>): Schema {
  const defs = (schema.$defs ?? schema.definitions) as Record<string, Schema> | undefined;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === '$schema' || k === '$defs' || k === 'definitions' || k === 'id' || k === '$id')
          continue;
        if (k === '$ref' && typeof v === 'string') {
          out[k] = v
            .replace(/^#\/(\$defs|definitions)\//, `#/components/schemas/${name}.`)
            .replace(/^#$/, `#/components/schemas/${name}`);
        } else {
          out[k] = rewrite(v);
        }
      }
      return out;
    }
    return node;
  };
  for (const [k, v] of Object.entries(defs ?? {})) into[`${name}.${k}`] = rewrite(v) as Schema;
  return rewrite(schema) as Schema;
}

const STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'A Kubernetes Status: every error (and some successes) is one of these.',
  required: ['kind', 'apiVersion', 'status', 'code'],
  properties: {
    kind: { type: 'string', enum: ['Status'] },
    apiVersion: { type: 'string', enum: ['v1'] },
    metadata: { type: 'object' },
    status: { type: 'string', enum: ['Success', 'Failure'] },
    message: { type: 'string' },
    reason: { type: 'string' },
    code: { type: 'integer' },
    details: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        group: { type: 'string' },
        kind: { type: 'string' },
        uid: { type: 'string' },
        causes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              reason: { type: 'string' },
              message: { type: 'string' },
              field: { type: 'string' },
            },
          },
        },
      },
    },
  },
};

const errorResponses = {
  '400': {
    description: 'Bad request (malformed body, selector or parameter)',
    content: { 'application/json': { schema: ref('Status') } },
  },
  '401': {
    description: 'No or invalid bearer token',
    content: { 'application/json': { schema: ref('Status') } },
  },
  '404': { description: 'Not found', content: { 'application/json': { schema: ref('Status') } } },
};

const param = (
  name: string,
  description: string,
  schema: Schema = { type: 'string' },
  where = 'query',
) => ({
  name,
  in: where,
  description,
  required: where === 'path',
  schema,
});

const LIST_PARAMS = [
  param('labelSelector', 'Label selector: `a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.'),
  param('fieldSelector', 'Field selector: `metadata.name=x`, `spec.nodeName!=`, …'),
  param('limit', 'Page size.', { type: 'integer', minimum: 0 }),
  param('continue', 'The `metadata.continue` of the previous page.'),
  param('watch', 'Stream changes as newline-delimited JSON watch events.', { type: 'boolean' }),
  param('resourceVersion', 'For watches: start after this revision (unset or 0: list first).'),
  param('timeoutSeconds', 'For watches: close the stream after this many seconds.', {
    type: 'integer',
  }),
  param('allowWatchBookmarks', 'For watches: send BOOKMARK events.', { type: 'boolean' }),
];
const WRITE_PARAMS = [
  param('dryRun', 'Validate only: `All`.'),
  param(
    'fieldValidation',
    '`Strict` rejects unknown fields; `Warn` (default) and `Ignore` drop them.',
    { type: 'string', enum: ['Strict', 'Warn', 'Ignore'] },
  ),
  param('fieldManager', 'Accepted for compatibility.'),
];

/** Builds the OpenAPI 3.0 document of the whole API from the resource definitions. */
@Injectable()
export class OpenApiService {
  private cached?: Schema;

  document(): Schema {
    if (this.cached) return this.cached;
    const schemas: Record<string, Schema> = {
      Status: STATUS_SCHEMA,
      Scale: {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
          spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0 } } },
          status: {
            type: 'object',
            properties: { replicas: { type: 'integer' }, selector: { type: 'string' } },
          },
        },
      },
      DeleteOptions: {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          dryRun: { type: 'array', items: { type: 'string', enum: ['All'] } },
          propagationPolicy: { type: 'string', enum: ['Orphan', 'Background', 'Foreground'] },
          orphanDependents: {
            type: 'boolean',
            description:
              'Deprecated: true means Orphan, false Background; not with propagationPolicy.',
          },
          gracePeriodSeconds: { type: 'integer', format: 'int64' },
          preconditions: {
            type: 'object',
            properties: { uid: { type: 'string' }, resourceVersion: { type: 'string' } },
          },
        },
      },
      WatchEvent: {
        type: 'object',
        required: ['type', 'object'],
        properties: {
          type: { type: 'string', enum: ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] },
          object: { type: 'object' },
        },
      },
    };
    const paths: Record<string, Schema> = {
      '/version': {
        get: {
          tags: ['discovery'],
          summary: 'Server version',
          operationId: 'getVersion',
          responses: { '200': { description: 'Version info' } },
        },
      },
      '/healthz': {
        get: {
          tags: ['operations'],
          summary: 'Liveness',
          operationId: 'getHealthz',
          responses: { '200': { description: 'ok' } },
        },
      },
      '/livez': {
        get: {
          tags: ['operations'],
          summary: 'Liveness',
          operationId: 'getLivez',
          responses: { '200': { description: 'ok' } },
        },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness (checks PostgreSQL)',
          operationId: 'getReadyz',
          responses: {
            '200': { description: 'ok' },
            '503': { description: 'not ready (the database cannot be reached)' },
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          operationId: 'getMetrics',
          responses: { '200': { description: 'metrics' } },
        },
      },
      '/api': {
        get: {
          tags: ['discovery'],
          summary: 'Core API versions',
          operationId: 'getCoreApiVersions',
          responses: { '200': { description: 'APIVersions' } },
        },
      },
      '/apis': {
        get: {
          tags: ['discovery'],
          summary: 'API groups',
          operationId: 'getApiGroups',
          responses: { '200': { description: 'APIGroupList' } },
        },
      },
    };
    for (const def of RESOURCES) this.addResource(def, schemas, paths);
    this.cached = {
      openapi: '3.0.3',
      info: {
        title: 'Berth API',
        version: BERTH_VERSION,
        description:
          'Kubernetes-shaped API of Berth, a multi-tenant cluster manager. Errors are Kubernetes `Status` objects. Authenticate with `Authorization: Bearer <token>`.',
      },
      servers: [{ url: '/' }],
      tags: [
        { name: 'discovery' },
        { name: 'operations' },
        ...RESOURCES.map((d) => ({ name: d.plural })),
      ],
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
      paths,
    };
    return this.cached;
  }

  private addResource(
    def: ResourceDefinition,
    schemas: Record<string, Schema>,
    paths: Record<string, Schema>,
  ): void {
    const name = schemaName(def);
    schemas[name] = hoist(name, def.jsonSchema(), schemas);
    const listName = schemaName(def, def.listKind);
    schemas[listName] = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: {
          type: 'object',
          properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } },
        },
        items: { type: 'array', items: ref(name) },
      },
    };
    const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
    const collection = def.namespaced
      ? `${base}/namespaces/{namespace}/${def.plural}`
      : `${base}/${def.plural}`;
    const item = `${collection}/{name}`;
    const nsParam = def.namespaced
      ? [param('namespace', 'Namespace', { type: 'string' }, 'path')]
      : [];
    const nameParam = [param('name', `Name of the ${def.singular}`, { type: 'string' }, 'path')];
    const tag = [def.plural];
    const op = (verb: string, suffix = '') =>
      `${verb}${def.group ? def.group.replace(/\./g, '') : 'Core'}${def.version}${def.kind}${suffix}`;
    const body = (schema: Schema) => ({
      required: true,
      content: { 'application/json': { schema } },
    });
    const ok = (schema: Schema, code = '200') => ({
      [code]: { description: 'OK', content: { 'application/json': { schema } } },
      ...errorResponses,
    });
    const patchBody = {
      required: true,
      content: {
        'application/merge-patch+json': { schema: { type: 'object' } },
        'application/strategic-merge-patch+json': { schema: { type: 'object' } },
        'application/json-patch+json': { schema: { type: 'array', items: { type: 'object' } } },
        'application/apply-patch+yaml': { schema: { type: 'object' } },
      },
    };
    paths[collection] = {
      parameters: nsParam,
      get: {
        tags: tag,
        summary: `List or watch ${def.plural}`,
        operationId: op('list'),
        parameters: LIST_PARAMS,
        responses: ok(ref(listName)),
      },
      post: {
        tags: tag,
        summary: `Create a ${def.kind}`,
        operationId: op('create'),
        parameters: WRITE_PARAMS,
        requestBody: body(ref(name)),
        responses: {
          ...ok(ref(name), '201'),
          '409': {
            description: 'Already exists',
            content: { 'application/json': { schema: ref('Status') } },
          },
          '422': {
            description: 'Invalid',
            content: { 'application/json': { schema: ref('Status') } },
          },
        },
      },
      delete: {
        tags: tag,
        summary: `Delete a collection of ${def.plural}`,
        operationId: op('deleteCollection'),
        parameters: LIST_PARAMS.slice(0, 2),
        responses: ok(ref(listName)),
      },
    };
    paths[item] = {
      parameters: [...nsParam, ...nameParam],
      get: {
        tags: tag,
        summary: `Read a ${def.kind}`,
        operationId: op('read'),
        responses: ok(ref(name)),
      },
      put: {
        tags: tag,
        summary: `Replace a ${def.kind}`,
        operationId: op('replace'),
        parameters: WRITE_PARAMS,
        requestBody: body(ref(name)),
        responses: {
          ...ok(ref(name)),
          '409': {
            description: 'Conflict',
            content: { 'application/json': { schema: ref('Status') } },
          },
        },
      },
      patch: {
        tags: tag,
        summary: `Patch a ${def.kind}`,
        operationId: op('patch'),
        parameters: WRITE_PARAMS,
        requestBody: patchBody,
        responses: ok(ref(name)),
      },
      delete: {
        tags: tag,
        summary: `Delete a ${def.kind}`,
        operationId: op('delete'),
        requestBody: {
          required: false,
          content: { 'application/json': { schema: ref('DeleteOptions') } },
        },
        responses: ok(ref(name)),
      },
    };
    if (def.namespaced) {
      paths[`${base}/${def.plural}`] = {
        get: {
          tags: tag,
          summary: `List or watch ${def.plural} in all namespaces`,
          operationId: op('list', 'ForAllNamespaces'),
          parameters: LIST_PARAMS,
          responses: ok(ref(listName)),
        },
      };
    }
    if (def.hasStatus) {
      paths[`${item}/status`] = {
        parameters: [...nsParam, ...nameParam],
        get: {
          tags: tag,
          summary: `Read the status of a ${def.kind}`,
          operationId: op('read', 'Status'),
          responses: ok(ref(name)),
        },
        put: {
          tags: tag,
          summary: `Replace the status of a ${def.kind}`,
          operationId: op('replace', 'Status'),
          requestBody: body(ref(name)),
          responses: ok(ref(name)),
        },
        patch: {
          tags: tag,
          summary: `Patch the status of a ${def.kind}`,
          operationId: op('patch', 'Status'),
          requestBody: patchBody,
          responses: ok(ref(name)),
        },
      };
    }
    if (def.scale) {
      paths[`${item}/scale`] = {
        parameters: [...nsParam, ...nameParam],
        get: {
          tags: tag,
          summary: `Read the scale of a ${def.kind}`,
          operationId: op('read', 'Scale'),
          responses: ok(ref('Scale')),
        },
        put: {
          tags: tag,
          summary: `Replace the scale of a ${def.kind}`,
          operationId: op('replace', 'Scale'),
          requestBody: body(ref('Scale')),
          responses: ok(ref('Scale')),
        },
        patch: {
          tags: tag,
          summary: `Patch the scale of a ${def.kind}`,
          operationId: op('patch', 'Scale'),
          requestBody: patchBody,
          responses: ok(ref('Scale')),
        },
      };
    }
  }
}
