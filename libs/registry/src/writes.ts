/** The registry's last step: one store write, in a transaction with steps when there are any. */
import type { KubeObject } from '@berth/core';
import {
  StoreError,
  type JsonObject,
  type ObjectKey,
  type ObjectRepository,
  type StoredObject,
} from '@berth/store';
import type { TransactionStep } from './strategy';

const MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

/** One step doing `a` then `b` (either may be absent). */
export function bothSteps(
  a: TransactionStep | undefined,
  b: TransactionStep | undefined,
): TransactionStep | undefined {
  if (!a || !b) return a ?? b;
  return {
    async run(tx) {
      await a.run(tx);
      await b.run(tx);
    },
    async dryRun(read) {
      await a.dryRun?.(read);
      await b.dryRun?.(read);
    },
  };
}

/** The one write of an update: in a transaction with `step`, when there is one. */
export async function writeUpdate(
  repo: ObjectRepository,
  key: ObjectKey,
  stored: StoredObject,
  next: KubeObject,
  fields: Record<string, string>,
  step: TransactionStep | undefined,
): Promise<KubeObject> {
  if (!step) {
    const updated = await repo.update(key, next as JsonObject, fields, stored.resourceVersion);
    return updated.object as KubeObject;
  }
  const updated = await repo.atomically(async (tx) => {
    await step.run(tx);
    return tx.update(key, next as JsonObject, fields, stored.resourceVersion);
  });
  if (!updated) throw new StoreError('Conflict', MODIFIED);
  return updated.object as KubeObject;
}

/**
 * Removes `stored` (if still at its version), the DELETED event carrying `final`: in a
 * transaction with `step`, when there is one.
 */
export async function writeDelete(
  repo: ObjectRepository,
  key: ObjectKey,
  stored: StoredObject,
  final: KubeObject,
  step?: TransactionStep,
): Promise<KubeObject> {
  if (!step) {
    const deleted = await repo.delete(key, stored.resourceVersion, final as JsonObject);
    return deleted.object as KubeObject;
  }
  const deleted = await repo.atomically(async (tx) => {
    await step.run(tx);
    return tx.delete(key, stored.resourceVersion, final as JsonObject);
  });
  if (!deleted) throw new StoreError('Conflict', MODIFIED);
  return deleted.object as KubeObject;
}
