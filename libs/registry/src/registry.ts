import {
  applyPatch,
  checkResourceVersion,
  errors,
  findResourceByKind,
  formatTimestamp,
  groupVersion,
  ignoreNotFound,
  isConflict,
  parseFieldSelector,
  parseLabelSelector,
  PATCH_CONTENT_TYPES,
  qualifiedResource,
  type KubeList,
  type KubeObject,
  type ResourceVersionQuery,
  type ResourceDefinition,
} from '@berth/core';
import {
  type AdmissionRepository,
  type JsonObject,
  type ObjectKey,
  type ObjectRepository,
  type StoredObject,
} from '@berth/store';
import { CreateBatcher } from './create-batcher';
import {
  assertPatchedIdentity,
  assertSameIdentity,
  assertValid,
  clone,
  decode,
  initializeForCreate,
  isPlainObject,
  mergeForUpdate,
  parseResourceVersion,
  sameJson,
  type FieldValidation,
  type WriteResult,
} from './decode';
import { checkDeletePreconditions, finalizersForDeletion, withDeletionGrace } from './deletion';
import { fieldsOf, patchSchemaFor, selectableFieldNames } from './fields';
import { assertNamespaceAcceptsContent } from './namespace-lifecycle';
import { PodSecurityAdmission } from './pod-security-admission';
import { QuotaAdmission } from './quota-admission';
import { BUILTIN_STRATEGIES } from './strategies';
import {
  snapshotReader,
  type StrategyCatalog,
  type StrategyContext,
  type StrategyOptions,
  type TransactionStep,
} from './strategy';
import { toApiError } from './store-errors';
import { bothSteps, writeDelete, writeUpdate } from './writes';

export type { FieldValidation, WriteResult } from './decode';
export { finalizersForDeletion } from './deletion';
export { fieldsOf, patchSchemaFor, selectableFieldNames } from './fields';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /**
   * The paths of the keys a JSON body repeated (`metadata.labels.app`, `spec.containers[0].name`;
   * see duplicateJsonKeys): strict decoding errors as unknown fields are — 400 with Strict, a
   * warning with Warn. For a patch, the keys the patch repeated.
   */
  duplicateFields?: string[];
  /**
   * Admission: called with the object about to be written (after defaults and validation)
   * and, for updates, the stored one; throw an ApiError to refuse the write. It may change
   * `next` (e.g. set a label). Runs again when an update retries on a conflict.
   */
  admit?: (next: KubeObject, current: KubeObject | undefined) => Promise<void> | void;
}

export interface RegistryOptions extends StrategyOptions {
  /** The kinds' strategies (default: the built-in ones). */
  strategies?: StrategyCatalog;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  /** What the caller may see: only these namespaces, names, or label sets (authorization). */
  scope?: { namespaces?: string[]; names?: string[]; labelsAnyOf?: Array<Record<string, string>> };
  /** The `resourceVersion`/`resourceVersionMatch` asked for (checked against the list's revision). */
  resourceVersion?: ResourceVersionQuery;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  /** Compared when present (an empty string too), as Kubernetes' Preconditions. */
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

const MAX_UPDATE_ATTEMPTS = 8;
const MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

/**
 * The registry behind every resource, shared by the API server and the workers so that
 * every writer goes through the same semantics: Kubernetes' create/update/patch/delete
 * semantics (validation, defaults, status subresource, generation, finalizers, optimistic
 * concurrency) over the object store. What one kind adds comes from its ResourceDefinition
 * (libs/core) and its strategy (./strategies); the registry names no resource.
 */
export class Registry {
  private readonly quota: QuotaAdmission;
  private readonly podSecurity: PodSecurityAdmission;
  private readonly batcher: CreateBatcher;
  private readonly strategies: StrategyCatalog;
  private readonly context: StrategyContext;

  constructor(
    readonly repo: ObjectRepository,
    admission: AdmissionRepository,
    options: RegistryOptions = {},
  ) {
    this.strategies = options.strategies ?? BUILTIN_STRATEGIES;
    this.quota = new QuotaAdmission(admission, (o) =>
      fieldsOf(findResourceByKind(o.apiVersion, o.kind)!, o, this.strategies),
    );
    this.podSecurity = new PodSecurityAdmission(repo);
    this.batcher = new CreateBatcher(repo, this.quota);
    const locals = new Map<object, unknown>();
    this.context = {
      repo,
      quota: this.quota,
      options,
      local<T>(owner: object, make: () => T): T {
        if (!locals.has(owner)) locals.set(owner, make());
        return locals.get(owner) as T;
      },
    };
  }

  key(def: ResourceDefinition, namespace: string, name: string): ObjectKey {
    return { resource: qualifiedResource(def), namespace: def.namespaced ? namespace : '', name };
  }

  async get(def: ResourceDefinition, namespace: string, name: string): Promise<KubeObject> {
    const stored = await this.repo.get(this.key(def, namespace, name));
    if (!stored) throw errors.notFound(def.plural, name, def.group || undefined);
    return stored.object as KubeObject;
  }

  async list(
    def: ResourceDefinition,
    namespace: string | undefined,
    query: ListQuery,
  ): Promise<KubeList> {
    const labelSelector = parseLabelSelector(query.labelSelector ?? '');
    const fieldSelector = this.parseFields(def, query.fieldSelector);
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 0)) {
      throw errors.badRequest(`limit must be a non-negative integer, got "${query.limit}"`);
    }
    try {
      const result = await this.repo.list({
        resource: qualifiedResource(def),
        namespace: def.namespaced ? namespace : undefined,
        labelSelector,
        fieldSelector,
        limit: query.limit,
        continueToken: query.continueToken,
        ...query.scope,
      });
      const refused = query.resourceVersion
        ? checkResourceVersion(query.resourceVersion, result.revision)
        : undefined;
      if (refused) throw refused;
      return {
        apiVersion: groupVersion(def),
        kind: def.listKind,
        metadata: {
          resourceVersion: result.revision.toString(),
          ...(result.continueToken ? { continue: result.continueToken } : {}),
        },
        items: result.items.map((i) => i.object as KubeObject),
      };
    } catch (err) {
      throw toApiError(err, def, '');
    }
  }

  /** The store's current revision (what a resourceVersion asked for is compared with). */
  async currentRevision(): Promise<bigint> {
    return (await this.repo.revision()).current;
  }

  parseSelectors(def: ResourceDefinition, labelSelector: string, fieldSelector: string) {
    return {
      labelSelector: parseLabelSelector(labelSelector),
      fieldSelector: this.parseFields(def, fieldSelector),
    };
  }

  /** Applies a patch to a Scale object (the scale subresource's own schema). */
  patchScale(
    def: ResourceDefinition,
    scale: KubeObject,
    contentType: string,
    patch: unknown,
  ): unknown {
    return applyPatch(contentType, scale, patch, {});
  }

  parseFields(def: ResourceDefinition, raw: string | undefined) {
    const reqs = parseFieldSelector(raw ?? '');
    const allowed = selectableFieldNames(def);
    for (const req of reqs) {
      if (!allowed.has(req.field)) {
        throw errors.badRequest(
          `field label not supported: ${req.field} (${def.plural} can be selected by ${[...allowed].sort().join(', ')})`,
        );
      }
    }
    return reqs;
  }

  /** Validates an incoming body against the resource's schema and shape rules. */
  decode(
    def: ResourceDefinition,
    body: unknown,
    fieldValidation: FieldValidation,
    duplicateFields: (string | { path: string; prefix: string })[] = [],
  ): WriteResult {
    return decode(def, body, fieldValidation, duplicateFields);
  }

  async create(
    def: ResourceDefinition,
    namespace: string,
    body: unknown,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const { object: incoming, warnings } = this.decode(
      def,
      body,
      opts.fieldValidation,
      opts.duplicateFields,
    );
    const strategy = this.strategies.for(def);
    const requestedName = incoming.metadata.name ?? '';
    initializeForCreate(def, incoming, namespace);
    if (strategy.prepareForCreate) strategy.prepareForCreate(incoming);
    else if (def.hasStatus) delete incoming.status;
    const object = def.applyDefaults(incoming);
    strategy.validate?.(this.context, object, undefined);
    assertValid(def, object);
    if (def.namespaced)
      await assertNamespaceAcceptsContent(this.repo, def, namespace, requestedName);
    await this.podSecurity.admit(def, object);
    await strategy.admitCreate?.(this.context, object);
    const charged = def.namespaced
      ? await this.quota.prepare(object, namespace, strategy.limitRanges === true)
      : false;
    await opts.admit?.(object, undefined);
    // What the kind does in the creating transaction (an allocation, a limit counted
    // exactly), then the quota charge: racing creates never overshoot.
    const step = strategy.inCreateTransaction?.(this.context, object, { namespace, charged });
    if (opts.dryRun) {
      await step?.dryRun?.(snapshotReader(this.repo));
      return { object, warnings };
    }
    const key = this.key(def, namespace, object.metadata.name!);
    // Read after the step: what it set (a cluster IP) may be a stored field.
    const fields = () => fieldsOf(def, object, this.strategies);
    try {
      let stored: StoredObject;
      if (charged && strategy.batchCreates && !step) {
        // Created at once in one namespace: charged and written together.
        stored = await this.batcher.create(def, key, object, fields());
      } else if (charged || step) {
        stored = await this.repo.atomically(async (tx) => {
          await step?.run(tx);
          if (charged) await this.quota.charge(tx, object, namespace);
          const created = await tx.create(
            key,
            object.metadata.uid!,
            object as JsonObject,
            fields(),
          );
          if (!created) throw errors.alreadyExists(def.plural, key.name, def.group || undefined);
          return created;
        });
      } else {
        stored = await this.repo.create(key, object.metadata.uid!, object as JsonObject, fields());
      }
      return { object: stored.object as KubeObject, warnings };
    } catch (err) {
      throw toApiError(err, def, object.metadata.name!);
    }
  }

  async update(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    body: unknown,
    subresource: '' | 'status',
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const { object: incoming, warnings } = this.decode(
      def,
      body,
      opts.fieldValidation,
      opts.duplicateFields,
    );
    assertSameIdentity(def, incoming, namespace, name);
    const precondition = parseResourceVersion(incoming.metadata.resourceVersion);
    const object = await this.guaranteedUpdate(
      def,
      namespace,
      name,
      precondition,
      opts,
      (current) => {
        // As in Kubernetes, a uid in the body is a precondition: the object with that uid,
        // not one of the same name created since.
        const uid = incoming.metadata.uid;
        if (uid && uid !== current.metadata.uid)
          throw errors.conflict(
            def.plural,
            name,
            `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`,
            def.group || undefined,
          );
        return mergeForUpdate(def, current, incoming, subresource);
      },
    );
    return { object, warnings };
  }

  async patch(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    contentType: string,
    patch: unknown,
    subresource: '' | 'status',
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const mediaType = contentType.split(';')[0].trim().toLowerCase();
    if (mediaType === PATCH_CONTENT_TYPES.apply) {
      // Server-side apply, simplified: create when missing, else a strategic merge.
      const existing = await this.repo.get(this.key(def, namespace, name));
      if (!existing) {
        if (!isPlainObject(patch)) throw errors.badRequest('an apply patch must be an object');
        const metadata = isPlainObject(patch.metadata) ? patch.metadata : {};
        return this.create(def, namespace, { ...patch, metadata: { ...metadata, name } }, opts);
      }
    }
    const schema = patchSchemaFor(def, this.strategies);
    // As kube-apiserver: keys repeated in the patch itself are strict errors too; a JSON
    // patch's are named after the operation list ("json patch duplicate field "[0].op"").
    const patchDuplicates = (opts.duplicateFields ?? []).map((f) =>
      mediaType === PATCH_CONTENT_TYPES.json ? { path: f, prefix: 'json patch ' } : f,
    );
    const warnings: string[] = [];
    const object = await this.guaranteedUpdate(def, namespace, name, undefined, opts, (current) => {
      const type =
        mediaType === PATCH_CONTENT_TYPES.apply ? PATCH_CONTENT_TYPES.strategic : contentType;
      const patched = applyPatch(type, clone(current), patch, schema);
      if (!isPlainObject(patched))
        throw errors.badRequest('the patch turned the object into something that is not an object');
      const decoded = this.decode(def, patched, opts.fieldValidation, patchDuplicates);
      warnings.splice(0, warnings.length, ...decoded.warnings);
      const incoming = decoded.object;
      assertPatchedIdentity(def, incoming, current, namespace, name);
      return mergeForUpdate(def, current, incoming, subresource);
    });
    return { object, warnings };
  }

  /**
   * DELETE. `alongside` runs in the deleting transaction (an eviction's budget update): when
   * it throws, nothing is written.
   */
  async delete(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    options: DeleteOptions,
    opts: WriteOptions,
    alongside?: TransactionStep,
  ): Promise<KubeObject> {
    const key = this.key(def, namespace, name);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.repo.get(key);
      if (!stored) throw errors.notFound(def.plural, name, def.group || undefined);
      const current = stored.object as KubeObject;
      const pre = options.preconditions;
      checkDeletePreconditions(def, name, current, pre);
      const instead = this.strategies.for(def).beforeDelete?.(current);
      if (instead) {
        if ('object' in instead) return instead.object;
        return this.guaranteedUpdate(def, namespace, name, undefined, opts, instead.update);
      }
      // Foreground and Orphan are finalizers the garbage collector owns (Kubernetes'
      // deletionFinalizersForGarbageCollection); Background (the default) deletes now.
      const finalizers = finalizersForDeletion(current, options.propagationPolicy);
      if (current.metadata.deletionTimestamp) {
        if (!finalizers) return current;
        // Already being deleted: a new policy only swaps the garbage-collector finalizers.
        const swapped = await this.markForDeletion(def, stored, options, opts, false);
        if (swapped) return swapped;
        continue;
      }
      if ((finalizers ?? current.metadata.finalizers ?? []).length > 0) {
        // Finalizers hold the object: mark it, and whoever owns a finalizer removes it.
        const marked = await this.markForDeletion(def, stored, options, opts, true, alongside);
        if (marked) return marked;
        continue;
      }
      // A resource deleted gracefully (pods) is recorded as deleted with its grace period and
      // deletionTimestamp, in the same write: the DELETED event tells the node agent how long
      // the containers get between SIGTERM and SIGKILL. (The pod does not stay Terminating
      // until the agent confirms, as in Kubernetes: it is gone from the store at once.)
      const final = withDeletionGrace(def, current, options.gracePeriodSeconds);
      if (opts.dryRun) {
        await alongside?.dryRun?.(snapshotReader(this.repo));
        return final ?? current;
      }
      try {
        return await writeDelete(this.repo, key, stored, final ?? current, alongside);
      } catch (err) {
        const mapped = toApiError(err, def, name);
        if (isConflict(mapped) && !pre?.resourceVersion) continue;
        throw mapped;
      }
    }
    throw errors.conflict(
      def.plural,
      name,
      'the object kept changing while it was being deleted; try again',
      def.group || undefined,
    );
  }

  /**
   * Writes the deletion's finalizers (and, with `mark`, the deletionTimestamp) on the
   * version `stored` was read at. Undefined when it changed meanwhile and no caller
   * precondition pins it: the delete then starts over from a fresh read.
   */
  private async markForDeletion(
    def: ResourceDefinition,
    stored: StoredObject,
    options: DeleteOptions,
    opts: WriteOptions,
    mark: boolean,
    alongside?: TransactionStep,
  ): Promise<KubeObject | undefined> {
    const { namespace, name } = stored.key;
    try {
      return await this.guaranteedUpdate(
        def,
        namespace,
        name,
        stored.resourceVersion,
        opts,
        (cur) => {
          const next = clone(cur);
          const wanted = finalizersForDeletion(cur, options.propagationPolicy);
          if (wanted) next.metadata.finalizers = wanted;
          if (mark) {
            next.metadata.deletionTimestamp = formatTimestamp(new Date());
            next.metadata.deletionGracePeriodSeconds = 0;
          }
          return next;
        },
        alongside,
      );
    } catch (err) {
      const conflict = isConflict(err);
      if (conflict && !options.preconditions?.resourceVersion) return undefined;
      throw err;
    }
  }

  async deleteCollection(
    def: ResourceDefinition,
    namespace: string | undefined,
    query: ListQuery,
    options: DeleteOptions,
    opts: WriteOptions,
  ): Promise<KubeList> {
    const list = await this.list(def, namespace, {
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
    });
    const items: KubeObject[] = [];
    for (const item of list.items) {
      try {
        items.push(
          await this.delete(def, item.metadata.namespace ?? '', item.metadata.name!, options, opts),
        );
      } catch (err) {
        ignoreNotFound(err);
      }
    }
    return { ...list, items };
  }

  /**
   * Reads the object, applies `mutate`, and writes it guarded by the version read; retries
   * on races. `alongside` runs in the updating transaction, after the kind's own step.
   */
  async guaranteedUpdate(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    precondition: bigint | undefined,
    opts: WriteOptions,
    mutate: (current: KubeObject) => KubeObject,
    alongside?: TransactionStep,
  ): Promise<KubeObject> {
    const key = this.key(def, namespace, name);
    const strategy = this.strategies.for(def);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.repo.get(key);
      if (!stored) throw errors.notFound(def.plural, name, def.group || undefined);
      if (precondition !== undefined && stored.resourceVersion !== precondition) {
        throw errors.conflict(def.plural, name, MODIFIED, def.group || undefined);
      }
      const current = stored.object as KubeObject;
      const next = mutate(clone(current));
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      strategy.prepareForUpdate?.(next, current);
      const last = next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0;
      if (!last) {
        // A write that changes nothing is no write (no new revision, no watch event), as in
        // Kubernetes' GuaranteedUpdate. Compared as JSON: a property set to undefined is absent.
        if (sameJson(next, current)) return current;
        strategy.validate?.(this.context, next, current);
        assertValid(def, next, current);
        await this.podSecurity.admit(def, next, current);
        await opts.admit?.(next, current);
      }
      // What the kind does in the updating transaction (an allocation, an approval, a budget).
      const step = last
        ? undefined
        : bothSteps(await strategy.inUpdateTransaction?.(this.context, next, current), alongside);
      if (opts.dryRun) {
        await step?.dryRun?.(snapshotReader(this.repo));
        return next;
      }
      try {
        // The last finalizer is gone: the object goes away now.
        if (last) return await writeDelete(this.repo, key, stored, next);
        return await writeUpdate(
          this.repo,
          key,
          stored,
          next,
          fieldsOf(def, next, this.strategies),
          step,
        );
      } catch (err) {
        const mapped = toApiError(err, def, name);
        if (isConflict(mapped) && precondition === undefined) continue;
        throw mapped;
      }
    }
    throw errors.conflict(
      def.plural,
      name,
      'too many concurrent writers; try again',
      def.group || undefined,
    );
  }
}
