/**
 * Per-resource strategies: what one kind adds to the registry's generic create/update/delete
 * (Kubernetes' RESTCreateStrategy/RESTUpdateStrategy/RESTDeleteStrategy). A kind is a
 * ResourceDefinition (libs/core) plus, when it needs more than the generic behaviour, a
 * strategy kept beside it in ./strategies. The registry runs whatever the strategy supplies,
 * and nothing else: it names no resource.
 */
import {
  qualifiedResource,
  type KubeObject,
  type PatchSchema,
  type ResourceDefinition,
} from '@berth/core';
import type { AtomicTransaction, ObjectRepository, StoredObject } from '@berth/store';
import type { QuotaAdmission } from './quota-admission';
import type { ServiceAllocationOptions } from './service-allocation';

/** Reads as the writing transaction sees them, or (for a dry run) the store as it is now. */
export interface StoreReader {
  get: AtomicTransaction['get'];
  list: AtomicTransaction['list'];
}

/**
 * One step a write needs inside its store transaction (which holds the revision lock, so
 * what it reads is current and nothing commits in between): an allocation, a limit counted
 * exactly, a second object written with the first. Throw an ApiError to refuse the write.
 */
export interface TransactionStep {
  run(tx: AtomicTransaction): Promise<void>;
  /** What a dry run does instead, reading the store as it is (absent: nothing). */
  dryRun?(read: StoreReader): Promise<void>;
}

/** What the registry is configured with for the kinds' strategies. */
export interface StrategyOptions {
  /** Where Services' cluster IPs and node ports come from. */
  services?: ServiceAllocationOptions;
}

/** What a strategy's hooks get from the registry that runs them. */
export interface StrategyContext {
  readonly repo: ObjectRepository;
  readonly quota: QuotaAdmission;
  readonly options: StrategyOptions;
  /** A value kept per registry for `owner` (made on first use): an allocator, a queue. */
  local<T>(owner: object, make: () => T): T;
}

/** What a create is, as a strategy's create hook sees it. */
export interface CreateRequest {
  namespace: string;
  /** True when some quota (namespace or tenant) may charge the object. */
  charged: boolean;
}

/** What DELETE does instead of removing the object (Kubernetes' namespace storage, e.g.). */
export type DeleteInstead =
  /** Answer with the object as it is, writing nothing. */
  | { object: KubeObject }
  /** Write this change (through guaranteedUpdate) and answer with the result. */
  | { update(current: KubeObject): KubeObject };

export interface ResourceStrategy {
  /**
   * Sets what a new object starts with (its status, say), on the decoded object before
   * defaults. Absent: a resource with a status subresource starts with none.
   */
  prepareForCreate?(object: KubeObject): void;
  /**
   * Carries over, before anything else, what an update may leave out (a Service's
   * allocated cluster IP and node ports).
   */
  prepareForUpdate?(next: KubeObject, current: KubeObject): void;
  /** Checks before the definition's validation; throw an ApiError (one cause, not many). */
  validate?(ctx: StrategyContext, next: KubeObject, current: KubeObject | undefined): void;
  /**
   * Admission of a create that reads the store (an object the new one names must exist),
   * after validation; throw an ApiError to refuse it.
   */
  admitCreate?(ctx: StrategyContext, object: KubeObject): Promise<void>;
  /** LimitRange defaults and limits apply to creates of this kind (pods). */
  limitRanges?: boolean;
  /**
   * Charged creates arriving together in one namespace are written in batches, one store
   * transaction each (see CreateBatcher). Only when no create step applies.
   */
  batchCreates?: boolean;
  /** A step for the creating transaction, or undefined when this create needs none. */
  inCreateTransaction?(
    ctx: StrategyContext,
    object: KubeObject,
    request: CreateRequest,
  ): TransactionStep | undefined;
  /** A step for the updating transaction, or undefined when this update needs none. */
  inUpdateTransaction?(
    ctx: StrategyContext,
    next: KubeObject,
    current: KubeObject,
  ): Promise<TransactionStep | undefined> | TransactionStep | undefined;
  /** Replaces the generic DELETE (finalizers, grace) when it returns something. */
  beforeDelete?(current: KubeObject): DeleteInstead | undefined;
  /**
   * Values stored with each object beside its selectable fields, for the store's own
   * queries (the scheduler's per-node sums); keys start with `__`, never selectable.
   */
  storedFields?(object: KubeObject): Record<string, string>;
  /** How strategic merge patches merge this kind's lists (absent: metadata only). */
  patchSchema?: PatchSchema;
}

/** A strategy bound to the definition it serves. */
export interface BoundStrategy extends ResourceStrategy {
  readonly definition: ResourceDefinition;
}

export function defineStrategy(
  definition: ResourceDefinition,
  strategy: ResourceStrategy,
): BoundStrategy {
  return { ...strategy, definition };
}

const NONE: ResourceStrategy = Object.freeze({});

/** Strategies by resource (`pods`, `replicasets.apps`); resources without one get none. */
export class StrategyCatalog {
  private readonly byResource: ReadonlyMap<string, BoundStrategy>;

  constructor(strategies: readonly BoundStrategy[]) {
    this.byResource = new Map(strategies.map((s) => [qualifiedResource(s.definition), s]));
  }

  for(def: ResourceDefinition): ResourceStrategy {
    return this.byResource.get(qualifiedResource(def)) ?? NONE;
  }

  /** This catalog plus (or with replaced) `strategies`. */
  with(...strategies: BoundStrategy[]): StrategyCatalog {
    return new StrategyCatalog([...this.byResource.values(), ...strategies]);
  }
}

/** A reader over the store as it is now (for dry runs). */
export function snapshotReader(repo: ObjectRepository): StoreReader {
  return {
    get: (key) => repo.get(key),
    list: async (resource, namespaces) =>
      (await repo.list({ resource, namespaces })).items as StoredObject[],
  };
}
