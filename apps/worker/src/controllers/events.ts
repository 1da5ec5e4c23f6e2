import {
  eventFor,
  eventName,
  findResource,
  isAlreadyExists,
  isConflict,
  isNotFound,
  type EventSpec,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import { WRITE } from './shared';

/** Records Events with Kubernetes' de-duplication (same object/reason/message → count+1). */
export class EventRecorder {
  private readonly def = findResource('', 'v1', 'events')!;

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async record(spec: EventSpec): Promise<void> {
    const namespace = spec.involvedObject.namespace || 'default';
    const name = eventName(spec);
    try {
      // Most events are new (a pod is scheduled once): try creating first, and read the
      // existing one only when there is one to count on.
      let existing: KubeObject | undefined;
      for (let attempt = 0; attempt < 4; attempt++) {
        const event = eventFor(spec, existing, new Date());
        try {
          if (existing) {
            await this.registry.update(this.def, namespace, name, event, '', WRITE);
          } else {
            await this.registry.create(this.def, namespace, event, WRITE);
          }
          return;
        } catch (err) {
          if (!isConflict(err) && !isAlreadyExists(err) && !isNotFound(err)) throw err;
          const stored = await this.registry.repo.get(this.registry.key(this.def, namespace, name));
          existing = stored?.object as KubeObject | undefined;
        }
      }
    } catch (err) {
      // Events are best effort, as in Kubernetes: never fail a reconcile for one.
      this.log.debug('event not recorded', { reason: spec.reason, error: (err as Error).message });
    }
  }
}
