/**
 * Charged creates of one kind in one namespace, written together (a strategy's
 * `batchCreates`, pods). kube-apiserver's quota admission batches concurrent charges to one
 * namespace's quotas; so does this: whatever arrived while one batch was being written goes
 * in the next, in ONE store transaction that reads the quotas once, charges each object in
 * order (refusing, alone, any that would go over), writes each quota once and creates the
 * objects in one statement. Under load the store's revision lock is then held for a handful
 * of round trips per batch, not per object.
 */
import { errors, qualifiedResource, type KubeObject, type ResourceDefinition } from '@berth/core';
import type { JsonObject, ObjectKey, ObjectRepository, StoredObject } from '@berth/store';
import type { QuotaAdmission } from './quota-admission';
import { toApiError } from './store-errors';

/** At most this many objects are charged and created in one transaction. */
const CHARGED_BATCH = 200;

/** A create waiting for its namespace's next charged batch. */
interface Pending {
  key: ObjectKey;
  object: KubeObject;
  fields: Record<string, string>;
  resolve(stored: StoredObject): void;
  reject(err: Error): void;
}

export class CreateBatcher {
  /** Creates waiting to be charged and written, by resource and namespace. */
  private readonly waiting = new Map<string, Pending[]>();

  constructor(
    private readonly repo: ObjectRepository,
    private readonly quota: QuotaAdmission,
  ) {}

  create(
    def: ResourceDefinition,
    key: ObjectKey,
    object: KubeObject,
    fields: Record<string, string>,
  ): Promise<StoredObject> {
    return new Promise((resolve, reject) => {
      const slot = `${key.resource}/${key.namespace}`;
      const waiting = this.waiting.get(slot);
      if (waiting) {
        waiting.push({ key, object, fields, resolve, reject });
        return;
      }
      const queue: Pending[] = [{ key, object, fields, resolve, reject }];
      this.waiting.set(slot, queue);
      void this.write(def, slot, key.namespace, queue);
    });
  }

  private async write(
    def: ResourceDefinition,
    slot: string,
    namespace: string,
    queue: Pending[],
  ): Promise<void> {
    while (queue.length) {
      const batch = queue.splice(0, CHARGED_BATCH);
      try {
        const outcomes = await this.repo.atomically(async (tx) => {
          // Under the lock: a name already taken is refused before anything is charged.
          const taken = await tx.existing(
            qualifiedResource(def),
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
          const exists = (b: Pending) =>
            errors.alreadyExists(def.plural, b.key.name, def.group || undefined);
          const outcome = new Map<Pending, StoredObject | Error>();
          fresh.forEach((b, i) => refused[i] && outcome.set(b, refused[i]!));
          accepted.forEach((b, i) => outcome.set(b, created[i] ?? exists(b)));
          for (const b of batch) if (!outcome.has(b)) outcome.set(b, exists(b));
          return outcome;
        });
        for (const b of batch) {
          const o = outcomes.get(b)!;
          if (o instanceof Error) b.reject(o);
          else b.resolve(o);
        }
      } catch (err) {
        const apiErr = toApiError(err, def, '') as Error;
        for (const b of batch) b.reject(apiErr);
      }
    }
    // In the same turn as the last check: a create arriving later starts a new queue.
    this.waiting.delete(slot);
  }
}
