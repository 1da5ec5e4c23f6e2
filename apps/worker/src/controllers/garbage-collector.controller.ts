import {
  findResourceByKind,
  FOREGROUND_DELETION_FINALIZER,
  gcDecide,
  isConflict,
  isNotFound,
  ORPHAN_FINALIZER,
  ownerFinalizerDecide,
  ownerStatesFor,
  qualifiedResource,
  RESOURCES,
  type KubeObject,
  type OwnerState,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { StoredObject } from '@berth/store';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import { WRITE } from './shared';

/** While an owner waits for its dependents, look again this often even without a change. */
const FOREGROUND_RECHECK_MS = 1_000;

const BY_RESOURCE = new Map(RESOURCES.map((r) => [qualifiedResource(r), r]));

/** The garbage collector's queue key: `<resource>|<namespace/name or name>|<uid>`. */
export function gcKey(resource: string, key: string, uid: string): string {
  return `${resource}|${key}|${uid}`;
}

function parseGcKey(
  key: string,
): { def: ResourceDefinition; namespace: string; name: string; uid: string } | undefined {
  const [resource, objectKey, uid] = key.split('|');
  const def = BY_RESOURCE.get(resource ?? '');
  if (!def || !objectKey || !uid) return undefined;
  const slash = objectKey.indexOf('/');
  if (def.namespaced && slash < 0) return undefined;
  return def.namespaced
    ? { def, namespace: objectKey.slice(0, slash), name: objectKey.slice(slash + 1), uid }
    : { def, namespace: '', name: objectKey, uid };
}

function isGone(err: unknown): boolean {
  // NotFound: already gone. Conflict on a uid precondition: a new object took the name.
  return isNotFound(err) || isConflict(err);
}

/**
 * Cascading deletion by ownerReferences (decisions in libs/core/controllers/garbage-collector).
 * For an owner that is gone, its dependents are deleted (or lose the dangling reference when
 * another owner remains); for an owner being deleted with `foregroundDeletion`, its
 * dependents go first and then the finalizer; with `orphan`, the dependents lose their
 * reference and then the finalizer goes. A newly created object whose owners are all gone
 * already (it lost a race with their deletion) is collected too.
 */
export class GarbageCollectorController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const target = parseGcKey(key);
    if (!target) return;
    const { def, namespace, name, uid } = target;
    const dependentsNamespace = def.namespaced ? namespace : undefined;
    const stored = await this.registry.repo.get(this.registry.key(def, namespace, name));
    const current = stored?.object as KubeObject | undefined;

    if (!current || current.metadata.uid !== uid) {
      // The owner is gone: each dependent is decided on its own owners.
      for (const dependent of await this.registry.repo.dependentsOf(uid, dependentsNamespace))
        await this.attemptToDelete(dependent);
      return;
    }
    if (!current.metadata.deletionTimestamp) {
      // Alive: as a dependent, are its owners still there?
      await this.attemptToDelete(stored!);
      return;
    }

    const finalizers = current.metadata.finalizers ?? [];
    if (
      finalizers.includes(FOREGROUND_DELETION_FINALIZER) &&
      !finalizers.includes(ORPHAN_FINALIZER)
    ) {
      for (const dependent of await this.registry.repo.dependentsOf(uid, dependentsNamespace))
        await this.attemptToDelete(dependent);
    }
    const dependents = await this.registry.repo.dependentsOf(uid, dependentsNamespace);
    const decision = ownerFinalizerDecide(
      current,
      dependents.map((d) => d.object as KubeObject),
    );
    switch (decision.action) {
      case 'none':
        return;
      case 'wait':
        return { requeueAfterMs: FOREGROUND_RECHECK_MS };
      case 'orphan':
        for (const dependent of dependents) await this.removeOwnerRefs(dependent, [uid]);
        await this.removeFinalizer(def, namespace, name, uid, ORPHAN_FINALIZER);
        this.log.debug('orphaned dependents', { owner: key, dependents: dependents.length });
        return;
      case 'remove-finalizer':
        await this.removeFinalizer(def, namespace, name, uid, FOREGROUND_DELETION_FINALIZER);
        return;
    }
  }

  /** The dependent side (attemptToDeleteItem): gcDecide on the states of its owners. */
  private async attemptToDelete(dependent: StoredObject): Promise<void> {
    const def = BY_RESOURCE.get(dependent.key.resource);
    if (!def) return;
    const object = dependent.object as KubeObject;
    const owners = await this.ownerStates(object, def);
    const waitedFor = owners.some((o) => o.deleting && o.foreground);
    const hasDependents =
      waitedFor &&
      (
        await this.registry.repo.dependentsOf(
          object.metadata.uid!,
          def.namespaced ? dependent.key.namespace : undefined,
        )
      ).length > 0;
    const decision = gcDecide(object, owners, { hasDependents });
    if (decision.action === 'delete') {
      try {
        await this.registry.delete(
          def,
          dependent.key.namespace,
          dependent.key.name,
          {
            propagationPolicy: decision.propagationPolicy,
            preconditions: { uid: object.metadata.uid },
          },
          WRITE,
        );
        this.log.debug('collected', {
          object: `${dependent.key.resource}/${dependent.key.namespace}/${dependent.key.name}`,
          propagationPolicy: decision.propagationPolicy,
        });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    } else if (decision.action === 'remove-owner-refs') {
      await this.removeOwnerRefs(dependent, decision.ownerUids);
    }
  }

  /**
   * The states of `object`'s owners. References to kinds Berth does not serve get no state
   * (gcDecide then treats them as live: never delete on a guess).
   */
  private async ownerStates(object: KubeObject, def: ResourceDefinition): Promise<OwnerState[]> {
    const found = new Map<string, KubeObject | undefined>();
    for (const ref of object.metadata.ownerReferences ?? []) {
      const ownerDef = findResourceByKind(ref.apiVersion, ref.kind);
      // A namespaced owner of a cluster-scoped object is invalid: leave it alone.
      if (!ownerDef || (ownerDef.namespaced && !def.namespaced)) continue;
      const stored = await this.registry.repo.get(
        this.registry.key(ownerDef, object.metadata.namespace ?? '', ref.name),
      );
      found.set(ref.uid, stored?.object as KubeObject | undefined);
    }
    return ownerStatesFor(object, (ref) => found.get(ref.uid)).filter((s) => found.has(s.ref.uid));
  }

  private async removeOwnerRefs(dependent: StoredObject, uids: readonly string[]): Promise<void> {
    const def = BY_RESOURCE.get(dependent.key.resource);
    if (!def) return;
    const uid = (dependent.object as KubeObject).metadata.uid;
    try {
      await this.registry.guaranteedUpdate(
        def,
        dependent.key.namespace,
        dependent.key.name,
        undefined,
        WRITE,
        (cur) => {
          if (cur.metadata.uid !== uid) return cur;
          const metadata = { ...cur.metadata };
          const refs = (metadata.ownerReferences ?? []).filter((r) => !uids.includes(r.uid));
          if (refs.length) metadata.ownerReferences = refs;
          else delete metadata.ownerReferences;
          return { ...cur, metadata };
        },
      );
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  private async removeFinalizer(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    uid: string,
    finalizer: string,
  ): Promise<void> {
    try {
      await this.registry.guaranteedUpdate(def, namespace, name, undefined, WRITE, (cur) => {
        if (cur.metadata.uid !== uid) return cur;
        const finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== finalizer);
        return { ...cur, metadata: { ...cur.metadata, finalizers } };
      });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}
