import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  BUILTIN_CLUSTER_ROLES,
  findResource,
  isAlreadyExists,
  qualifiedResource,
  TENANCY_GROUP,
  TENANT_LABEL,
  type AccessSnapshot,
  type KubeObject,
  type RbacObject,
  type ResourceDefinition,
} from '@berth/core';
import { Registry } from '@berth/registry';
import { ChangeFeed, ObjectRepository, type ChangeRecord, type Subscription } from '@berth/store';

const RBAC = 'rbac.authorization.k8s.io';
/** The kinds authorization decides from, by their store resource name. */
const WATCHED: Record<string, ResourceDefinition> = Object.fromEntries(
  (
    [
      ['', 'namespaces'],
      [TENANCY_GROUP, 'tenants'],
      [RBAC, 'roles'],
      [RBAC, 'rolebindings'],
      [RBAC, 'clusterroles'],
      [RBAC, 'clusterrolebindings'],
    ] as const
  ).map(([group, plural]) => {
    const def = findResource(group, 'v1', plural)!;
    return [qualifiedResource(def), def];
  }),
);

type Store = Map<string, KubeObject>;

/**
 * This process's view of everything authorization needs (RBAC objects, tenants and the
 * namespace → tenant links), listed once and kept current from the change feed, like an
 * informer cache. A write of one of these kinds waits for the cache to catch up before it
 * answers, so a client sees its own change on its next request.
 */
@Injectable()
export class PolicyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PolicyCache');
  private readonly stores = new Map<string, Store>(Object.keys(WATCHED).map((r) => [r, new Map()]));
  private subscription?: Subscription;
  private applied = 0n;
  private snapshotCache?: AccessSnapshot;
  private waiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly feed: ChangeFeed,
    private readonly repo: ObjectRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.seedBuiltinRoles();
    await this.load();
  }

  /** Creates the built-in ClusterRoles that are missing (like Kubernetes' bootstrap policy). */
  private async seedBuiltinRoles(): Promise<void> {
    const def = WATCHED[`clusterroles.${RBAC}`];
    for (const role of BUILTIN_CLUSTER_ROLES) {
      try {
        await this.registry.create(def, '', structuredClone(role) as unknown as KubeObject, {
          dryRun: false,
          fieldValidation: 'Strict',
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  private async load(): Promise<void> {
    let revision = 0n;
    for (const [resource, def] of Object.entries(WATCHED)) {
      const list = await this.registry.list(def, undefined, {});
      const store: Store = new Map();
      for (const item of list.items) store.set(keyOf(item), item);
      this.stores.set(resource, store);
      const rv = BigInt(list.metadata.resourceVersion ?? '0');
      if (revision === 0n || rv < revision) revision = rv;
    }
    this.applied = revision;
    this.snapshotCache = undefined;
    this.subscription = await this.feed.subscribe(revision, {
      onChange: (change) => this.apply(change),
      onError: (err) => {
        if (this.stopped) return;
        this.logger.warn(`policy cache fell behind (${err.message}); listing again`);
        this.subscription?.close();
        void this.load().catch((e: Error) =>
          this.logger.error(`policy cache reload: ${e.message}`),
        );
      },
    });
  }

  private apply(change: ChangeRecord): void {
    const store = this.stores.get(change.resource);
    if (store) {
      const object = change.object as unknown as KubeObject;
      if (change.type === 'DELETED') store.delete(keyOf(object));
      else store.set(keyOf(object), object);
      this.snapshotCache = undefined;
    }
    this.applied = change.revision;
    if (this.waiters.length) {
      const ready = this.waiters.filter((w) => w.revision <= this.applied);
      this.waiters = this.waiters.filter((w) => w.revision > this.applied);
      for (const w of ready) w.resolve();
    }
  }

  /** True for the kinds this cache follows (a write of them should `waitFor` its revision). */
  follows(def: ResourceDefinition): boolean {
    return this.stores.has(qualifiedResource(def));
  }

  /** Resolves once the cache has applied `revision` (or after `timeoutMs`, best effort). */
  waitFor(revision: bigint, timeoutMs = 2000): Promise<void> {
    if (this.applied >= revision) return Promise.resolve();
    this.feed.poke();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        resolve();
      }, timeoutMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ revision, resolve: done });
    });
  }

  /** After a write of a followed kind: waits until the cache holds everything written so far. */
  async settle(def: ResourceDefinition): Promise<void> {
    if (!this.follows(def)) return;
    const { current } = await this.repo.revision();
    await this.waitFor(current);
  }

  /** The current snapshot (rebuilt lazily after a change). */
  snapshot(): AccessSnapshot {
    if (this.snapshotCache) return this.snapshotCache;
    const values = (resource: string) => [...(this.stores.get(resource)?.values() ?? [])];
    const tenants = new Map<string, KubeObject>();
    for (const t of values(`tenants.${TENANCY_GROUP}`)) tenants.set(t.metadata.name!, t);
    const namespaceTenant = new Map<string, string>();
    const tenantNamespaces = new Map<string, string[]>();
    for (const ns of values('namespaces')) {
      const owner = ns.metadata.labels?.[TENANT_LABEL];
      if (!owner) continue;
      namespaceTenant.set(ns.metadata.name!, owner);
      const list = tenantNamespaces.get(owner) ?? [];
      list.push(ns.metadata.name!);
      tenantNamespaces.set(owner, list);
    }
    for (const list of tenantNamespaces.values()) list.sort();
    this.snapshotCache = {
      policy: {
        clusterRoles: values(`clusterroles.${RBAC}`) as unknown as RbacObject[],
        roles: values(`roles.${RBAC}`) as unknown as RbacObject[],
        clusterRoleBindings: values(`clusterrolebindings.${RBAC}`) as unknown as RbacObject[],
        roleBindings: values(`rolebindings.${RBAC}`) as unknown as RbacObject[],
      },
      tenants,
      namespaceTenant,
      tenantNamespaces,
    };
    return this.snapshotCache;
  }

  /** A namespace as last seen (undefined when it does not exist). */
  namespace(name: string): KubeObject | undefined {
    return this.stores.get('namespaces')?.get(`/${name}`);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.subscription?.close();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

function keyOf(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}
