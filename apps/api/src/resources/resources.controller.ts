import { All, Controller, Logger, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ApiError,
  errors,
  findResource,
  assertPathSegments,
  checkResourceVersion,
  parseDeleteOptions,
  parseListParameters,
  parseRequestInfo,
  PATCH_CONTENT_TYPES,
  type DeleteRequestOptions,
  type KubeObject,
  type RequestInfo,
  type ResourceDefinition,
} from '@berth/core';
import { tracked, type AuditNote } from '../audit/audit.service';
import { Admission } from '../auth/admission';
import { Authorizer, type Access } from '../auth/authorizer';
import { PolicyCache } from '../auth/policy-cache';
import { REVIEW_RESOURCES, Reviews } from '../auth/reviews';
import { AuthenticatedGuard, principalOf } from '../auth/guards';
import { ServiceAccountTokens } from '../auth/service-account-tokens';
import {
  decodeBody,
  decodeWriteBody,
  mediaTypeOf,
  queryBool,
  queryInt,
  queryString,
  queryValues,
  sendJson,
  wantsTable,
} from '../common/http';
import { DiscoveryService } from '../discovery/discovery.service';
import { Registry, type FieldValidation, type WriteOptions } from '@berth/registry';
import { desiredReplicas, toScale, withReplicas } from './scale';
import { renderTable, type IncludeObject } from './table';
import { Evictions } from './eviction';
import { WatchService } from './watch.service';
import { KubeletClient } from '../nodes/kubelet-client';
import { serverError } from '../common/status-exception.filter';

const WATCH_LOGGER = new Logger('Watch');

const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;

const PATCH_TYPES = Object.values(PATCH_CONTENT_TYPES);

/** The watch-event filter for what a list scope lets a caller see. */
function visibleIn(scope: NonNullable<Access['scope']>): (object: KubeObject) => boolean {
  const namespaces = scope.namespaces && new Set(scope.namespaces);
  const names = scope.names && new Set(scope.names);
  return (o) =>
    (!namespaces || namespaces.has(o.metadata?.namespace ?? '')) &&
    (!names || names.has(o.metadata?.name ?? '')) &&
    (!scope.labelsAnyOf ||
      scope.labelsAnyOf.some((set) =>
        Object.entries(set).every(([k, v]) => o.metadata?.labels?.[k] === v),
      ));
}

/**
 * The one HTTP entry for `/api/...` and `/apis/...`: discovery documents and the
 * Kubernetes REST verbs for every built-in resource.
 */
@Controller()
@UseGuards(AuthenticatedGuard)
export class ResourcesController {
  constructor(
    private readonly resources: Registry,
    private readonly watches: WatchService,
    private readonly discovery: DiscoveryService,
    private readonly authorizer: Authorizer,
    private readonly admission: Admission,
    private readonly policyCache: PolicyCache,
    private readonly reviews: Reviews,
    private readonly kubelet: KubeletClient,
    private readonly tokens: ServiceAccountTokens,
    private readonly evictions: Evictions,
  ) {}

  @All(['api', 'api/*path', 'apis', 'apis/*path'])
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const isWatch = queryBool(req, 'watch');
    const info = parseRequestInfo(req.method, req.path, isWatch);
    res.locals.requestInfo = info;
    const principal = principalOf(req);
    if (!info.isResourceRequest) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw errors.methodNotAllowed(`${req.method} is not allowed on ${req.path}`);
      }
      const doc = this.discovery.document(info, req.path);
      if (!doc) throw this.notServed(req);
      sendJson(res, 200, doc);
      return;
    }
    const review = REVIEW_RESOURCES.find(
      (r) => r.group === info.group && r.version === info.version && r.plural === info.resource,
    );
    if (review) {
      if (info.verb !== 'create' || info.name || info.namespace)
        throw errors.methodNotAllowed(`${review.plural} can only be created (POST ${req.path})`);
      sendJson(res, 201, this.reviews.review(principal, review.plural, decodeBody(req)));
      return;
    }
    assertPathSegments(info.namespace, info.name);
    const def = findResource(info.group, info.version, info.resource);
    if (!def) throw this.notServed(req);
    if (!def.namespaced && info.namespace && info.resource !== 'namespaces')
      throw this.notServed(req);
    if (def.namespaced && !info.namespace && info.name) throw this.notServed(req);
    const namespace = def.namespaced ? info.namespace : '';
    const sub = info.subresource;
    const podLog = sub === 'log' && def.group === '' && def.plural === 'pods';
    const saToken = sub === 'token' && def.group === '' && def.plural === 'serviceaccounts';
    const eviction = sub === 'eviction' && def.group === '' && def.plural === 'pods';
    if (
      sub &&
      !(sub === 'status' && def.hasStatus) &&
      !(sub === 'scale' && def.scale) &&
      !podLog &&
      !saToken &&
      !eviction
    ) {
      throw this.notServed(req);
    }
    if (sub && !info.name) throw this.notServed(req);

    const access = this.authorizer.authorize(
      principal,
      info,
      def,
      queryString(req, 'fieldSelector') ?? '',
    );
    res.locals.access = access;
    res.locals.admit = this.admission.admitFor(principal, def, info);
    if (access.nodeGraph) {
      const selector = `spec.nodeName=${access.nodeGraph.nodeName}`;
      const pods = await this.resources.list(PODS, namespace, { fieldSelector: selector });
      const denied = access.nodeGraph.check(pods.items);
      if (denied) throw denied;
    }
    if (access.objectCheck && info.name) {
      const target = await this.resources.get(def, namespace, info.name);
      const denied = access.objectCheck(target);
      if (denied) throw denied;
    }
    const audit: AuditNote = {};
    res.locals.audit = audit;
    if (
      tracked(def.group, def.plural) &&
      info.name &&
      (info.verb === 'update' || info.verb === 'patch' || info.verb === 'delete')
    ) {
      audit.before = await this.resources.get(def, namespace, info.name).catch(() => undefined);
    }

    if (podLog) {
      if (info.verb !== 'get')
        throw errors.methodNotAllowed(`${req.method} is not allowed on pods/log`);
      return this.podLog(req, res, namespace, info.name);
    }
    if (saToken) {
      if (info.verb !== 'create')
        throw errors.methodNotAllowed(`${req.method} is not allowed on serviceaccounts/token`);
      sendJson(res, 201, await this.tokens.request(namespace, info.name, decodeBody(req)));
      return;
    }
    if (eviction) {
      if (info.verb !== 'create')
        throw errors.methodNotAllowed(`${req.method} is not allowed on pods/eviction`);
      audit.name = info.name;
      const opts = this.writeOptions(req);
      const body = decodeBody(req);
      const done = await this.evictions.evict(
        namespace,
        info.name,
        body,
        (n) => queryValues(req, n),
        opts,
      );
      sendJson(res, 201, done);
      return;
    }
    switch (info.verb) {
      case 'get':
        return this.get(req, res, def, namespace, info);
      case 'list':
        return this.list(req, res, def, info);
      case 'watch':
        return this.watch(req, res, def, info);
      case 'create':
        if (info.name)
          throw errors.methodNotAllowed(
            `POST is not allowed on a named ${def.singular}; use PUT or PATCH`,
          );
        return this.create(req, res, def, namespace);
      case 'update':
        if (!info.name)
          throw errors.methodNotAllowed(`PUT needs a ${def.singular} name in the URL`);
        return this.update(req, res, def, namespace, info);
      case 'patch':
        if (!info.name)
          throw errors.methodNotAllowed(`PATCH needs a ${def.singular} name in the URL`);
        return this.patch(req, res, def, namespace, info);
      case 'delete':
        if (sub) throw errors.methodNotAllowed(`DELETE is not allowed on ${def.plural}/${sub}`);
        return this.delete(req, res, def, namespace, info);
      case 'deletecollection':
        return this.deleteCollection(req, res, def, info);
      default:
        throw errors.methodNotAllowed(`${req.method} is not supported`);
    }
  }

  /** `GET …/pods/{name}/log`, answered by the agent of the pod's node. */
  private async podLog(req: Request, res: Response, namespace: string, name: string) {
    const pod = await this.resources.get(PODS, namespace, name);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodeName
      ? await this.resources.get(NODES, '', nodeName).catch(() => undefined)
      : undefined;
    await this.kubelet.streamLogs(req, res, pod, node);
  }

  private notServed(req: Request): ApiError {
    return new ApiError(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${req.path})`,
    );
  }

  private writeOptions(req: Request, checkDryRun = true): WriteOptions {
    const dryRun = queryString(req, 'dryRun');
    if (checkDryRun && dryRun !== undefined && dryRun !== 'All' && dryRun !== '') {
      throw errors.badRequest(`dryRun must be "All" or unset, got "${dryRun}"`);
    }
    const fv = queryString(req, 'fieldValidation') ?? 'Warn';
    const normalized = { strict: 'Strict', warn: 'Warn', ignore: 'Ignore' }[fv.toLowerCase()] as
      FieldValidation | undefined;
    if (!normalized)
      throw errors.badRequest(`fieldValidation must be Strict, Warn or Ignore, got "${fv}"`);
    return {
      dryRun: dryRun === 'All',
      fieldValidation: normalized,
      admit: req.res?.locals.admit as WriteOptions['admit'],
    };
  }

  private includeObject(req: Request): IncludeObject {
    const raw = queryString(req, 'includeObject') ?? 'Metadata';
    if (raw !== 'None' && raw !== 'Metadata' && raw !== 'Object') {
      throw errors.badRequest(`includeObject must be None, Metadata or Object, got "${raw}"`);
    }
    return raw;
  }

  private respond(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    code: number,
    object: KubeObject,
    warnings: string[] = [],
  ) {
    if (res.locals.audit && req.method !== 'GET' && tracked(def.group, def.plural))
      (res.locals.audit as AuditNote).after = object;
    else if (res.locals.audit) (res.locals.audit as AuditNote).name = object.metadata?.name;
    if (wantsTable(req) && object.kind === def.kind) {
      sendJson(
        res,
        code,
        renderTable(
          def,
          [object],
          { resourceVersion: object.metadata.resourceVersion },
          this.includeObject(req),
        ),
        warnings,
      );
      return;
    }
    sendJson(res, code, object, warnings);
  }

  private async get(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    namespace: string,
    info: RequestInfo,
  ) {
    // GetOptions.resourceVersion: "" or "0" read the most recent; N must exist already.
    const rv = parseListParameters({ resourceVersion: queryString(req, 'resourceVersion') }, false);
    if (rv.resourceVersion !== undefined) {
      const refused = checkResourceVersion(rv, await this.resources.currentRevision());
      if (refused) throw refused;
    }
    const object = await this.resources.get(def, namespace, info.name);
    if (info.subresource === 'scale') return sendJson(res, 200, toScale(def, object));
    this.respond(req, res, def, 200, object);
  }

  private async list(req: Request, res: Response, def: ResourceDefinition, info: RequestInfo) {
    const resourceVersion = parseListParameters(
      {
        resourceVersion: queryString(req, 'resourceVersion'),
        resourceVersionMatch: queryString(req, 'resourceVersionMatch'),
        continue: queryString(req, 'continue'),
        sendInitialEvents: queryString(req, 'sendInitialEvents'),
      },
      false,
    );
    // ListOptions.timeoutSeconds means nothing to a list, but must still be an integer.
    queryInt(req, 'timeoutSeconds');
    const list = await this.resources.list(
      def,
      def.namespaced && info.namespace ? info.namespace : undefined,
      {
        labelSelector: queryString(req, 'labelSelector'),
        fieldSelector: queryString(req, 'fieldSelector'),
        limit: queryInt(req, 'limit'),
        continueToken: queryString(req, 'continue') || undefined,
        scope: (res.locals.access as Access).scope,
        resourceVersion,
      },
    );
    if (wantsTable(req)) {
      sendJson(res, 200, renderTable(def, list.items, list.metadata, this.includeObject(req)));
      return;
    }
    sendJson(res, 200, list);
  }

  private async watch(req: Request, res: Response, def: ResourceDefinition, info: RequestInfo) {
    const namespace = def.namespaced && info.namespace ? info.namespace : undefined;
    let fieldSelectorRaw = queryString(req, 'fieldSelector') ?? '';
    if (info.name) {
      // Legacy single-object watch: GET …/pods/x?watch=true.
      fieldSelectorRaw = [fieldSelectorRaw, `metadata.name=${info.name}`].filter(Boolean).join(',');
    }
    const labelSelectorRaw = queryString(req, 'labelSelector') ?? '';
    const { labelSelector, fieldSelector } = this.resources.parseSelectors(
      def,
      labelSelectorRaw,
      fieldSelectorRaw,
    );
    const rvRaw = queryString(req, 'resourceVersion') ?? '';
    parseListParameters(
      {
        resourceVersion: rvRaw,
        resourceVersionMatch: queryString(req, 'resourceVersionMatch'),
        sendInitialEvents: queryString(req, 'sendInitialEvents'),
      },
      true,
    );
    const timeoutSeconds = queryInt(req, 'timeoutSeconds');
    const bookmarks = queryBool(req, 'allowWatchBookmarks');
    const scope = (res.locals.access as Access).scope;
    const table = wantsTable(req);
    const include = table ? this.includeObject(req) : 'Metadata';
    const initiallyMatching = new Set<string>();
    let initial: KubeObject[] = [];
    let fromRevision: bigint;
    if (rvRaw === '' || rvRaw === '0') {
      const list = await this.resources.list(def, namespace, {
        labelSelector: labelSelectorRaw,
        fieldSelector: fieldSelectorRaw,
        scope,
      });
      initial = list.items;
      for (const item of initial)
        initiallyMatching.add(`${item.metadata.namespace ?? ''}/${item.metadata.name}`);
      fromRevision = BigInt(list.metadata.resourceVersion ?? '0');
    } else {
      fromRevision = BigInt(rvRaw);
    }

    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const write = (type: string, object: unknown) => {
      const payload =
        table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
          ? renderTable(
              def,
              [object as KubeObject],
              { resourceVersion: (object as KubeObject).metadata?.resourceVersion },
              include,
            )
          : object;
      res.write(JSON.stringify({ type, object: payload }) + '\n');
    };
    for (const item of initial) write('ADDED', item);
    let stop: () => void;
    try {
      stop = await this.watches.start(
        {
          def,
          namespace,
          labelSelector,
          fieldSelector,
          fromRevision,
          initiallyMatching,
          knowsInitialState: rvRaw === '' || rvRaw === '0',
          visible: scope && visibleIn(scope),
        },
        { send: (event) => write(event.type, event.object), end: () => res.end() },
        { timeoutSeconds, bookmarks },
      );
    } catch (err) {
      // Headers are out: report the failure as a watch ERROR event (as Kubernetes does).
      const status = err instanceof ApiError ? err : serverError(err, WATCH_LOGGER);
      write('ERROR', status.toStatus());
      res.end();
      return;
    }
    req.on('close', stop);
    res.on('close', stop);
  }

  private async create(req: Request, res: Response, def: ResourceDefinition, namespace: string) {
    const { body, duplicateFields } = decodeWriteBody(req);
    if (body === undefined)
      throw errors.badRequest(`the request body is empty: send the ${def.kind} to create as JSON`);
    // A create that fails (e.g. the database is out) still names its object on the trail.
    const named = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    if (typeof named === 'string' && res.locals.audit) (res.locals.audit as AuditNote).name = named;
    const result = await this.resources.create(def, namespace, body, {
      ...this.writeOptions(req),
      duplicateFields,
    });
    await this.policyCache.settle(def);
    this.respond(req, res, def, 201, result.object, result.warnings);
  }

  private async update(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    namespace: string,
    info: RequestInfo,
  ) {
    const { body, duplicateFields } = decodeWriteBody(req);
    if (body === undefined)
      throw errors.badRequest(`the request body is empty: send the whole ${def.kind}`);
    const opts = { ...this.writeOptions(req), duplicateFields };
    if (info.subresource === 'scale') {
      const replicas = desiredReplicas(info.name, body);
      const updated = await this.scaleTo(def, namespace, info.name, replicas, opts, body);
      return sendJson(res, 200, toScale(def, updated));
    }
    const result = await this.resources.update(
      def,
      namespace,
      info.name,
      body,
      info.subresource as '' | 'status',
      opts,
    );
    await this.policyCache.settle(def);
    this.respond(req, res, def, 200, result.object, result.warnings);
  }

  private async patch(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    namespace: string,
    info: RequestInfo,
  ) {
    const contentType = mediaTypeOf(req);
    if (!PATCH_TYPES.includes(contentType as (typeof PATCH_TYPES)[number])) {
      throw errors.unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
    }
    const { body: patch, duplicateFields } = decodeWriteBody(req, PATCH_TYPES);
    if (patch === undefined) throw errors.badRequest('the patch is empty');
    const opts = { ...this.writeOptions(req), duplicateFields };
    if (info.subresource === 'scale') {
      // Like Kubernetes: the patch applies to the current Scale inside the update retry
      // loop; only a resourceVersion inside the patch itself is a precondition.
      const rv = (patch as { metadata?: { resourceVersion?: unknown } })?.metadata?.resourceVersion;
      const precondition = typeof rv === 'string' && /^\d{1,19}$/.test(rv) ? BigInt(rv) : undefined;
      const updated = await this.resources.guaranteedUpdate(
        def,
        namespace,
        info.name,
        precondition,
        opts,
        (current) => {
          const scale = this.resources.patchScale(def, toScale(def, current), contentType, patch);
          return withReplicas(current, desiredReplicas(info.name, scale));
        },
      );
      return sendJson(res, 200, toScale(def, updated));
    }
    const result = await this.resources.patch(
      def,
      namespace,
      info.name,
      contentType,
      patch,
      info.subresource as '' | 'status',
      opts,
    );
    await this.policyCache.settle(def);
    this.respond(req, res, def, 200, result.object, result.warnings);
  }

  private scaleTo(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    replicas: number,
    opts: WriteOptions,
    scale: unknown,
  ) {
    const rv = (scale as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    const precondition = rv && /^\d{1,19}$/.test(rv) ? BigInt(rv) : undefined;
    return this.resources.guaranteedUpdate(def, namespace, name, precondition, opts, (current) =>
      withReplicas(current, replicas),
    );
  }

  /**
   * The DeleteOptions of a DELETE (body, else query parameters) and the write options they
   * mean: a dry run writes nothing, whichever way it was asked for.
   */
  private deleteRequest(req: Request): { options: DeleteRequestOptions; opts: WriteOptions } {
    const options = parseDeleteOptions(decodeBody(req), (name) => queryValues(req, name));
    const fieldValidation = this.writeOptions(req, false).fieldValidation;
    return {
      options,
      opts: {
        dryRun: options.dryRun,
        fieldValidation,
        admit: req.res?.locals.admit as WriteOptions['admit'],
      },
    };
  }

  private async delete(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    namespace: string,
    info: RequestInfo,
  ) {
    const { options, opts } = this.deleteRequest(req);
    const deleted = await this.resources.delete(def, namespace, info.name, options, opts);
    await this.policyCache.settle(def);
    const kept = Boolean((deleted as KubeObject).metadata?.deletionTimestamp);
    // A delete held by finalizers returns the object (now being deleted): its after state.
    if (tracked(def.group, def.plural) && kept)
      (res.locals.audit as AuditNote).after = deleted as KubeObject;
    // Kubernetes answers 202 when the object is kept and orphanDependents=false was asked.
    sendJson(res, kept && options.orphanDependents === false ? 202 : 200, deleted);
  }

  private async deleteCollection(
    req: Request,
    res: Response,
    def: ResourceDefinition,
    info: RequestInfo,
  ) {
    const { options, opts } = this.deleteRequest(req);
    const list = await this.resources.deleteCollection(
      def,
      def.namespaced && info.namespace ? info.namespace : undefined,
      {
        labelSelector: queryString(req, 'labelSelector'),
        fieldSelector: queryString(req, 'fieldSelector'),
      },
      options,
      opts,
    );
    sendJson(res, 200, list);
  }
}
