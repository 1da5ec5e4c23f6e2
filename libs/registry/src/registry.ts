import { randomUUID } from 'node:crypto';
import {
  applyPatch,
  checkResourceVersion,
  cloneJson,
  errors,
  finalizerForPropagation,
  formatTimestamp,
  groupVersion,
  jsonEqual,
  keepAllocatedValues,
  needsAllocation,
  objectMetaPatchSchema,
  parseFieldSelector,
  parseLabelSelector,
  podHostPorts,
  podNonZeroRequests,
  podRequests,
  otherResources,
  PATCH_CONTENT_TYPES,
  podSpecPatchSchema,
  qualifiedResource,
  servicePatchSchema,
  findResource,
  findResourceByKind,
  NAMESPACE_FINALIZER,
  TENANCY_GROUP,
  TENANT_LABEL,
  type KubeList,
  type KubeObject,
  type PatchSchema,
  type PropagationPolicy,
  type ResourceVersionQuery,
  type ResourceDefinition,
  type StatusCause,
} from '@berth/core';
import {
  encodeOtherRequests,
  ObjectRepository,
  type AdmissionRepository,
  POD_FIELDS,
  podBucket,
  type JsonObject,
  type ObjectKey,
  type StoredObject,
} from '@berth/store';
import { PodSecurityAdmission } from './pod-security-admission';
import { QuotaAdmission } from './quota-admission';
import { ServiceAllocator, type ServiceAllocationOptions } from './service-allocation';
import { toApiError } from './store-errors';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

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

export interface RegistryOptions {
  /** Where Services' cluster IPs and node ports come from. */
  services?: ServiceAllocationOptions;
}

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
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
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON equality: key order does not matter and a property set to undefined is absent. */
function sameJson(a: unknown, b: unknown): boolean {
  return jsonEqual(cloneJson(a ?? null), cloneJson(b ?? null));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isService(def: ResourceDefinition): boolean {
  return def.group === '' && def.plural === 'services';
}

const SERVICES = 'services';

/** At most this many pods are charged and created in one transaction. */
const CHARGED_BATCH = 200;

/** A pod create waiting for its namespace's next charged batch. */
interface PendingPod {
  key: ObjectKey;
  object: KubeObject;
  fields: Record<string, string>;
  resolve(stored: StoredObject): void;
  reject(err: Error): void;
}

const GC_FINALIZERS: ReadonlySet<string> = new Set([
  finalizerForPropagation('Foreground')!,
  finalizerForPropagation('Orphan')!,
]);

/**
 * `object` as recorded when deleted at once, for a resource with a grace period
 * (ResourceDefinition.deletionGracePeriod): with `deletionTimestamp` now and
 * `deletionGracePeriodSeconds`. Undefined for other resources.
 */
function withDeletionGrace(
  def: ResourceDefinition,
  object: KubeObject,
  requested: number | undefined,
  now = new Date(),
): KubeObject | undefined {
  if (!def.deletionGracePeriod) return undefined;
  const next = clone(object);
  next.metadata.deletionTimestamp = formatTimestamp(now);
  next.metadata.deletionGracePeriodSeconds = def.deletionGracePeriod(object, requested);
  return next;
}

/**
 * The finalizers `object` must carry when deleted with `propagationPolicy`, or undefined
 * when they stay as they are. An explicit policy replaces the garbage collector's
 * finalizers (`foregroundDeletion`, `orphan`) with its own (none for Background); without
 * one, the object's finalizers decide — as Kubernetes' deletionFinalizersForGarbageCollection.
 */
export function finalizersForDeletion(
  object: KubeObject,
  propagationPolicy: string | undefined,
): string[] | undefined {
  if (propagationPolicy === undefined || propagationPolicy === '') return undefined;
  if (!['Background', 'Foreground', 'Orphan'].includes(propagationPolicy)) {
    throw errors.badRequest(
      `propagationPolicy must be Orphan, Background or Foreground, got "${propagationPolicy}"`,
    );
  }
  const current = object.metadata.finalizers ?? [];
  const next = current.filter((f) => !GC_FINALIZERS.has(f));
  const added = finalizerForPropagation(propagationPolicy as PropagationPolicy);
  if (added) next.push(added);
  const same = next.length === current.length && next.every((f) => current.includes(f));
  return same ? undefined : next;
}

/** Field values a field selector can match, stored beside each object. */
export function fieldsOf(def: ResourceDefinition, obj: KubeObject): Record<string, string> {
  let extra: Record<string, string> = {};
  try {
    extra = def.selectableFields(obj);
  } catch {
    extra = {};
  }
  return {
    'metadata.name': obj.metadata?.name ?? '',
    ...(def.namespaced ? { 'metadata.namespace': obj.metadata?.namespace ?? '' } : {}),
    ...extra,
    ...(def.kind === 'Pod' && def.group === '' ? podInternalFields(obj) : {}),
  };
}

/**
 * What the scheduler sums per node in SQL: the pod's effective requests (cpu, memory and
 * every other resource) and its controller. Stored with the pod; not selectable through the API.
 */
function podInternalFields(pod: KubeObject): Record<string, string> {
  try {
    const requests = podRequests(pod);
    const nonZero = podNonZeroRequests(pod);
    const owner = (pod.metadata.ownerReferences ?? []).find((r) => r.controller);
    const hostPorts = podHostPorts(pod);
    const other = encodeOtherRequests(otherResources(requests));
    return {
      [POD_FIELDS.milliCpu]: requests.milliCpu.toString(),
      [POD_FIELDS.memory]: requests.memory.toString(),
      [POD_FIELDS.nonZeroMilliCpu]: nonZero.milliCpu.toString(),
      [POD_FIELDS.nonZeroMemory]: nonZero.memory.toString(),
      [POD_FIELDS.bucket]: String(
        podBucket(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`),
      ),
      ...(owner ? { [POD_FIELDS.owner]: owner.uid } : {}),
      ...(hostPorts.length ? { [POD_FIELDS.hostPorts]: hostPorts.join(',') } : {}),
      ...(other ? { [POD_FIELDS.other]: other } : {}),
    };
  } catch {
    return {};
  }
}

/** Field names a field selector may use for this resource. */
export function selectableFieldNames(def: ResourceDefinition): Set<string> {
  const probe: KubeObject = { apiVersion: groupVersion(def), kind: def.kind, metadata: {} };
  return new Set(
    [...Object.keys(fieldsOf(def, probe)), 'metadata.name', 'metadata.namespace'].filter(
      (f) => !f.startsWith('__'),
    ),
  );
}

export function patchSchemaFor(def: ResourceDefinition): PatchSchema {
  const meta = objectMetaPatchSchema();
  switch (def.kind) {
    case 'Pod':
      return { ...meta, ...podSpecPatchSchema('spec') };
    case 'Deployment':
    case 'ReplicaSet':
      return { ...meta, ...podSpecPatchSchema('spec.template.spec') };
    case 'Service':
      return { ...meta, ...servicePatchSchema() };
    default:
      return meta;
  }
}

/**
 * The registry behind every built-in resource, shared by the API server and the
 * workers so that every writer goes through the same semantics: Kubernetes' create/update/patch/
 * delete semantics (validation, defaults, status subresource, generation, finalizers,
 * optimistic concurrency) over the object store. Kind-specific rules come from the
 * ResourceDefinition in libs/core.
 */
export class Registry {
  private readonly quota: QuotaAdmission;
  private readonly services: ServiceAllocator;
  private readonly podSecurity: PodSecurityAdmission;

  constructor(
    readonly repo: ObjectRepository,
    admission: AdmissionRepository,
    options: RegistryOptions = {},
  ) {
    this.quota = new QuotaAdmission(admission, (o) =>
      fieldsOf(findResourceByKind(o.apiVersion, o.kind)!, o),
    );
    this.services = new ServiceAllocator(options.services);
    this.podSecurity = new PodSecurityAdmission(repo);
  }

  /**
   * Pods waiting to be created and charged, by namespace. kube-apiserver's quota admission
   * batches concurrent charges to one namespace's quotas; so does this: whatever arrived
   * while one batch was being written goes in the next, in ONE store transaction that reads
   * the quotas once, charges each pod in order (refusing, alone, any that would go over),
   * writes each quota once and creates the pods in one statement. Under load the store's
   * revision lock is then held for a handful of round trips per batch, not per pod.
   */
  private readonly chargedPods = new Map<string, PendingPod[]>();

  private createChargedPod(
    key: ObjectKey,
    object: KubeObject,
    fields: Record<string, string>,
  ): Promise<StoredObject> {
    return new Promise((resolve, reject) => {
      const waiting = this.chargedPods.get(key.namespace);
      if (waiting) {
        waiting.push({ key, object, fields, resolve, reject });
        return;
      }
      const queue: PendingPod[] = [{ key, object, fields, resolve, reject }];
      this.chargedPods.set(key.namespace, queue);
      void this.writeChargedPods(key.namespace, queue);
    });
  }

  private async writeChargedPods(namespace: string, queue: PendingPod[]): Promise<void> {
    while (queue.length) {
      const batch = queue.splice(0, CHARGED_BATCH);
      try {
        const outcomes = await this.repo.atomically(async (tx) => {
          // Under the lock: a name already taken is refused before anything is charged.
          const taken = await tx.existing(
            'pods',
            namespace,
            batch.map((b) => b.key.name),
          );
          // ...and so is the second of two creates of one name in the same batch.
          const fresh = batch.filter((b) => {
            if (taken.has(b.key.name)) return false;
            taken.add(b.key.name);
            return true;
          });
          const refused = await this.quota.chargeMany(
            tx,
            fresh.map((b) => b.object),
            namespace,
          );
          const accepted = fresh.filter((_, i) => !refused[i]);
          const created = await tx.createMany(
            accepted.map((b) => ({
              key: b.key,
              uid: b.object.metadata.uid!,
              object: b.object as JsonObject,
              fields: b.fields,
            })),
          );
          const outcome = new Map<PendingPod, StoredObject | Error>();
          fresh.forEach((b, i) => refused[i] && outcome.set(b, refused[i]!));
          accepted.forEach((b, i) =>
            outcome.set(b, created[i] ?? errors.alreadyExists('pods', b.key.name)),
          );
          for (const b of batch)
            if (!outcome.has(b)) outcome.set(b, errors.alreadyExists('pods', b.key.name));
          return outcome;
        });
        for (const b of batch) {
          const o = outcomes.get(b)!;
          if (o instanceof Error) b.reject(o);
          else b.resolve(o);
        }
      } catch (err) {
        const apiErr = toApiError(err, findResource('', 'v1', 'pods')!, '') as Error;
        for (const b of batch) b.reject(apiErr);
      }
    }
    this.chargedPods.delete(namespace);
  }

  /** The Services as stored now, for a dry run's allocation (real writes read them locked). */
  private async storedServices(): Promise<StoredObject[]> {
    return (await this.repo.list({ resource: SERVICES })).items;
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
    const meta = incoming.metadata;
    const requestedName = meta.name ?? '';
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw errors.badRequest(
          `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${namespace})`,
        );
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++)
        suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
      meta.name = `${meta.generateName}${suffix}`;
    }
    const now = formatTimestamp(new Date());
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as Record<string, unknown>).selfLink;
    const object = def.applyDefaults(this.resetStatusForCreate(def, incoming));
    if (isService(def)) this.services.assertPortCount(object, undefined);
    this.assertValid(def, object);
    if (def.namespaced) await this.assertNamespaceAcceptsContent(def, namespace, requestedName);
    await this.podSecurity.admit(def, object);
    const charged = def.namespaced
      ? await this.quota.prepare(object, namespace, def.group === '' && def.plural === 'pods')
      : false;
    await opts.admit?.(object, undefined);
    // A Service's cluster IP and node ports: chosen, or checked, in the creating
    // transaction, so concurrent creates never get the same one.
    const allocates = isService(def) && needsAllocation(object);
    if (opts.dryRun) {
      if (allocates) await this.services.allocate(() => this.storedServices(), object, undefined);
      return { object, warnings };
    }
    const key = this.key(def, namespace, object.metadata.name!);
    try {
      if (
        !def.namespaced &&
        def.group === '' &&
        def.plural === 'namespaces' &&
        object.metadata.labels?.[TENANT_LABEL]
      ) {
        // A tenant's namespace limit, counted in the creating transaction: exact under races.
        const created = await this.repo.atomically(async (tx) => {
          await this.quota.checkNamespaceLimit(tx, object);
          const stored = await tx.create(
            key,
            object.metadata.uid!,
            object as JsonObject,
            fieldsOf(def, object),
          );
          if (!stored) throw errors.alreadyExists(def.plural, key.name, def.group || undefined);
          return stored;
        });
        return { object: created.object as KubeObject, warnings };
      }
      if (charged && !allocates && def.group === '' && def.plural === 'pods') {
        // Pods created at once in one namespace are charged and written together.
        const stored = await this.createChargedPod(key, object, fieldsOf(def, object));
        return { object: stored.object as KubeObject, warnings };
      }
      if (charged || allocates) {
        // Charged to the quotas in the same transaction: racing creates never overshoot.
        const created = await this.repo.atomically(async (tx) => {
          if (allocates) await this.services.allocate(() => tx.list(SERVICES), object, undefined);
          if (charged) await this.quota.charge(tx, object, namespace);
          const stored = await tx.create(
            key,
            object.metadata.uid!,
            object as JsonObject,
            fieldsOf(def, object),
          );
          if (!stored) throw errors.alreadyExists(def.plural, key.name, def.group || undefined);
          return stored;
        });
        return { object: created.object as KubeObject, warnings };
      }
      const stored = await this.repo.create(
        key,
        object.metadata.uid!,
        object as JsonObject,
        fieldsOf(def, object),
      );
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
    this.assertSameIdentity(def, incoming, namespace, name);
    const precondition = this.parseResourceVersion(incoming.metadata.resourceVersion);
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
        return this.mergeForUpdate(def, current, incoming, subresource);
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
    const schema = patchSchemaFor(def);
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
      if (
        incoming.metadata.resourceVersion &&
        incoming.metadata.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw errors.conflict(
          def.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          def.group || undefined,
        );
      }
      this.assertSameIdentity(def, incoming, namespace, name);
      // A patch cannot change the uid (Kubernetes: metadata.uid is immutable); it was
      // silently put back, and the client told it had succeeded.
      const uid = incoming.metadata.uid;
      if (uid !== undefined && uid !== current.metadata.uid)
        throw errors.invalid(
          def.kind,
          name,
          [
            {
              reason: 'FieldValueInvalid',
              message: `Invalid value: ${JSON.stringify(uid)}: field is immutable`,
              field: 'metadata.uid',
            },
          ],
          def.group || undefined,
        );
      return this.mergeForUpdate(def, current, incoming, subresource);
    });
    return { object, warnings };
  }

  async delete(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    options: DeleteOptions,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    const key = this.key(def, namespace, name);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.repo.get(key);
      if (!stored) throw errors.notFound(def.plural, name, def.group || undefined);
      const current = stored.object as KubeObject;
      const pre = options.preconditions;
      if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
        throw errors.conflict(
          def.plural,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
          def.group || undefined,
        );
      }
      if (
        pre?.resourceVersion !== undefined &&
        pre.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw errors.conflict(
          def.plural,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
          def.group || undefined,
        );
      }
      if (def.plural === 'namespaces' && def.group === '') {
        return this.deleteNamespace(def, stored, opts);
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
        const marked = await this.markForDeletion(def, stored, options, opts, true);
        if (marked) return marked;
        continue;
      }
      // A resource deleted gracefully (pods) is recorded as deleted with its grace period and
      // deletionTimestamp, in the same write: the DELETED event tells the node agent how long
      // the containers get between SIGTERM and SIGKILL. (The pod does not stay Terminating
      // until the agent confirms, as in Kubernetes: it is gone from the store at once.)
      const final = withDeletionGrace(def, current, options.gracePeriodSeconds);
      if (opts.dryRun) return final ?? current;
      try {
        const deleted = await this.repo.delete(key, stored.resourceVersion, final as JsonObject);
        return deleted.object as KubeObject;
      } catch (err) {
        const mapped = toApiError(err, def, name);
        if ((mapped as { reason?: string }).reason === 'Conflict' && !pre?.resourceVersion)
          continue;
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
      );
    } catch (err) {
      const conflict = (err as { reason?: string }).reason === 'Conflict';
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
        if ((err as { reason?: string }).reason !== 'NotFound') throw err;
      }
    }
    return { ...list, items };
  }

  /** Reads the object, applies `mutate`, and writes it guarded by the version read; retries on races. */
  async guaranteedUpdate(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    precondition: bigint | undefined,
    opts: WriteOptions,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<KubeObject> {
    const key = this.key(def, namespace, name);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.repo.get(key);
      if (!stored) throw errors.notFound(def.plural, name, def.group || undefined);
      if (precondition !== undefined && stored.resourceVersion !== precondition) {
        throw errors.conflict(
          def.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          def.group || undefined,
        );
      }
      const current = stored.object as KubeObject;
      const next = mutate(clone(current));
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      // An update that leaves out a Service's cluster IP or node ports keeps them.
      if (isService(def)) keepAllocatedValues(next, current);
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
        // The last finalizer is gone: the object goes away now.
        if (opts.dryRun) return next;
        try {
          const deleted = await this.repo.delete(key, stored.resourceVersion, next as JsonObject);
          return deleted.object as KubeObject;
        } catch (err) {
          const mapped = toApiError(err, def, name);
          if ((mapped as { reason?: string }).reason === 'Conflict' && precondition === undefined)
            continue;
          throw mapped;
        }
      }
      // A write that changes nothing is no write (no new revision, no watch event), as in
      // Kubernetes' GuaranteedUpdate. Compared as JSON: a property set to undefined is absent.
      if (sameJson(next, current)) return current;
      if (isService(def)) this.services.assertPortCount(next, current);
      this.assertValid(def, next, current);
      await this.podSecurity.admit(def, next, current);
      await opts.admit?.(next, current);
      const allocates = isService(def) && needsAllocation(next, current);
      if (opts.dryRun) {
        if (allocates) await this.services.allocate(() => this.storedServices(), next, current);
        return next;
      }
      if (allocates) {
        // A new cluster IP or node port (say, the type became NodePort): chosen or checked
        // in the writing transaction.
        const updated = await this.repo.atomically(async (tx) => {
          await this.services.allocate(() => tx.list(SERVICES), next, current);
          return tx.update(key, next as JsonObject, fieldsOf(def, next), stored.resourceVersion);
        });
        if (updated) return updated.object as KubeObject;
        if (precondition === undefined) continue;
        throw errors.conflict(
          def.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          def.group || undefined,
        );
      }
      if (
        def.group === TENANCY_GROUP &&
        def.plural === 'quotarequests' &&
        (next.status as { phase?: string } | undefined)?.phase === 'Approved' &&
        (current.status as { phase?: string } | undefined)?.phase !== 'Approved'
      ) {
        // The approval and the tenant quota change are one transaction.
        const updated = await this.repo.atomically(async (tx) => {
          await this.quota.approve(tx, next);
          return tx.update(key, next as JsonObject, fieldsOf(def, next), stored.resourceVersion);
        });
        if (updated) return updated.object as KubeObject;
        if (precondition === undefined) continue;
        throw errors.conflict(
          def.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          def.group || undefined,
        );
      }
      if (
        def.group === '' &&
        def.plural === 'resourcequotas' &&
        !sameJson(next.spec, current.spec) &&
        (await this.quota.applies(namespace))
      ) {
        // The tenant budget is checked and the quota written in one transaction.
        const updated = await this.repo.atomically(async (tx) => {
          await this.quota.checkBudget(tx, next, namespace);
          return tx.update(key, next as JsonObject, fieldsOf(def, next), stored.resourceVersion);
        });
        if (updated) return updated.object as KubeObject;
        if (precondition === undefined) continue;
        throw errors.conflict(
          def.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          def.group || undefined,
        );
      }
      try {
        const updated = await this.repo.update(
          key,
          next as JsonObject,
          fieldsOf(def, next),
          stored.resourceVersion,
        );
        return updated.object as KubeObject;
      } catch (err) {
        const mapped = toApiError(err, def, name);
        if ((mapped as { reason?: string }).reason === 'Conflict' && precondition === undefined)
          continue;
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

  /** Validates an incoming body against the resource's schema and shape rules. */
  decode(
    def: ResourceDefinition,
    body: unknown,
    fieldValidation: FieldValidation,
    duplicateFields: (string | { path: string; prefix: string })[] = [],
  ): WriteResult {
    if (!isPlainObject(body)) {
      throw errors.badRequest(
        `the body of the request must be a JSON object describing a ${def.kind}`,
      );
    }
    const expectedApiVersion = groupVersion(def);
    if (body.apiVersion !== undefined && body.apiVersion !== expectedApiVersion) {
      throw errors.badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expectedApiVersion})`,
      );
    }
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw errors.badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
    const withType = {
      ...body,
      apiVersion: expectedApiVersion,
      kind: def.kind,
      metadata: body.metadata ?? {},
    };
    const result = def.validateSchema(withType);
    if (result.decodeErrors?.length) {
      // As kube-apiserver: a number out of its Go type's range fails to decode (400).
      throw errors.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: ${result.decodeErrors.map((c) => c.message).join(', ')}`,
        result.decodeErrors,
      );
    }
    const warnings: string[] = [];
    // Duplicate keys (sigs.k8s.io/json UnmarshalStrict: `duplicate field "a.b"`), then
    // unknown fields: one strict decoding error naming them all, as kube-apiserver's.
    const duplicates = duplicateFields.map((d) =>
      typeof d === 'string' ? { path: d, prefix: '' } : d,
    );
    if (duplicates.length > 0 || result.unknownFields.length > 0) {
      const fields = [
        ...duplicates.map((d) => `${d.prefix}duplicate field ${JSON.stringify(d.path)}`),
        ...result.unknownFields.map((f) => `unknown field "${f}"`),
      ];
      if (fieldValidation === 'Strict') {
        throw errors.badRequest(
          `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${fields.join(', ')}`,
          [
            ...duplicates.map((d) => ({
              reason: 'FieldValueDuplicate',
              field: d.path,
              message: `${d.prefix}duplicate field`,
            })),
            ...result.unknownFields.map((f) => ({
              reason: 'FieldValueInvalid',
              field: f,
              message: 'unknown field',
            })),
          ],
        );
      }
      if (fieldValidation === 'Warn') warnings.push(...fields);
    }
    if (result.causes.length > 0) {
      const name = isPlainObject(withType.metadata) ? String(withType.metadata.name ?? '') : '';
      throw errors.invalid(def.kind, name, result.causes, def.group || undefined);
    }
    return { object: result.object, warnings };
  }

  private assertValid(def: ResourceDefinition, obj: KubeObject, old?: KubeObject): void {
    let causes: StatusCause[];
    try {
      causes = def.validate(obj, old);
    } catch (err) {
      causes = [
        {
          reason: 'FieldValueInvalid',
          message: `could not be validated: ${(err as Error).message}`,
        },
      ];
    }
    if (causes.length > 0)
      throw errors.invalid(def.kind, obj.metadata.name ?? '', causes, def.group || undefined);
  }

  private assertSameIdentity(
    def: ResourceDefinition,
    obj: KubeObject,
    namespace: string,
    name: string,
  ): void {
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    obj.metadata.name = name;
    if (def.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
        throw errors.badRequest(
          `the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${namespace})`,
        );
      }
      obj.metadata.namespace = namespace;
    }
  }

  private parseResourceVersion(raw: string | undefined): bigint | undefined {
    if (raw === undefined || raw === '') return undefined;
    if (!/^[0-9]{1,19}$/.test(raw)) {
      throw errors.badRequest(
        `metadata.resourceVersion must be a resourceVersion this server returned, got "${raw}"`,
      );
    }
    return BigInt(raw);
  }

  private mergeForUpdate(
    def: ResourceDefinition,
    current: KubeObject,
    incoming: KubeObject,
    subresource: '' | 'status',
  ): KubeObject {
    if (subresource === 'status') {
      const next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
      return next;
    }
    const next = clone(incoming);
    const meta = next.metadata;
    const cur = current.metadata;
    meta.uid = cur.uid;
    meta.creationTimestamp = cur.creationTimestamp;
    meta.generation = cur.generation ?? 1;
    if (cur.deletionTimestamp) meta.deletionTimestamp = cur.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (cur.deletionGracePeriodSeconds !== undefined)
      meta.deletionGracePeriodSeconds = cur.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (def.hasStatus) {
      if (current.status === undefined) delete next.status;
      else next.status = clone(current.status);
    }
    const defaulted = def.applyDefaults(next);
    if (def.tracksGeneration && !sameJson(defaulted.spec, current.spec)) {
      defaulted.metadata.generation = (cur.generation ?? 1) + 1;
    }
    return defaulted;
  }

  private resetStatusForCreate(def: ResourceDefinition, obj: KubeObject): KubeObject {
    if (!def.hasStatus || def.group !== '') {
      if (def.hasStatus) delete obj.status;
      return obj;
    }
    switch (def.kind) {
      case 'Pod':
        obj.status = { phase: 'Pending' };
        break;
      case 'Namespace':
        obj.status = { phase: 'Active' };
        break;
      case 'Service':
        obj.status = { loadBalancer: {} };
        break;
      case 'Node':
        // Nodes register with their status (capacity, addresses), like a kubelet does.
        break;
      default:
        delete obj.status;
    }
    return obj;
  }

  /**
   * Kubernetes' NamespaceLifecycle admission: no new content in a namespace that does not
   * exist or is being terminated (403 with the `NamespaceTerminating` cause).
   */
  private async assertNamespaceAcceptsContent(
    def: ResourceDefinition,
    namespace: string,
    name: string,
  ): Promise<void> {
    const nsDef = findResource('', 'v1', 'namespaces')!;
    const stored = await this.repo.get(this.key(nsDef, '', namespace));
    if (!stored) throw errors.notFound('namespaces', namespace);
    if ((stored.object as KubeObject).metadata.deletionTimestamp) {
      const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
      throw errors.forbidden(
        `${name ? `${resource} "${name}"` : resource} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          group: def.group || undefined,
          kind: def.plural,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  /**
   * Namespace deletion, as Kubernetes' namespace storage: the first DELETE marks the
   * namespace (deletionTimestamp, phase Terminating, the `kubernetes` finalizer) and returns
   * it. The namespace controller (apps/worker) deletes its content and removes the
   * finalizer, after which the store deletes the namespace. A DELETE of a namespace that is
   * Terminating already returns it as it is.
   */
  private async deleteNamespace(
    def: ResourceDefinition,
    stored: StoredObject,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    const current = stored.object as KubeObject;
    if (current.metadata.deletionTimestamp) return current;
    return this.guaranteedUpdate(def, '', stored.key.name, undefined, opts, (cur) => {
      if (cur.metadata.uid !== current.metadata.uid || cur.metadata.deletionTimestamp) return cur;
      const next = clone(cur);
      next.metadata.deletionTimestamp = formatTimestamp(new Date());
      next.metadata.deletionGracePeriodSeconds = 0;
      next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
      next.metadata.finalizers = [
        ...new Set([...(next.metadata.finalizers ?? []), NAMESPACE_FINALIZER]),
      ];
      return next;
    });
  }
}
