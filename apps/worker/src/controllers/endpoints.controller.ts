import { isDeepStrictEqual } from 'node:util';
import {
  desiredEndpoints,
  ENDPOINTS_MANAGED_LABEL,
  findResource,
  isAlreadyExists,
  type KubeObject,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import { isGone, PODS, WRITE } from './shared';

const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;

/**
 * Keeps the Endpoints of every Service with a selector equal to the pods it selects
 * (decision in libs/core/controllers/endpoints), per namespace: a pod or Service change
 * reconciles its namespace. Endpoints it made for a Service that is gone (or lost its
 * selector) are deleted; Endpoints of Services without a selector are left to their users.
 */
export class EndpointsController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(namespace: string): Promise<ReconcileResult | void> {
    const [services, endpoints] = await Promise.all([
      this.registry.list(SERVICES, namespace, {}),
      this.registry.list(ENDPOINTS, namespace, {}),
    ]);
    // Only the pods some Service selects (a label-index query), not every pod of the
    // namespace: a namespace of 5,000 pods and no Service reads none.
    const selectors = services.items
      .filter((svc) => !svc.metadata.deletionTimestamp)
      .map((svc) => (svc.spec as { selector?: Record<string, string> } | undefined)?.selector)
      .filter((sel): sel is Record<string, string> => !!sel && Object.keys(sel).length > 0);
    const pods = selectors.length
      ? await this.registry.list(PODS, namespace, { scope: { labelsAnyOf: selectors } })
      : { items: [] as KubeObject[] };
    const existing = new Map(endpoints.items.map((e) => [e.metadata.name!, e]));
    const wanted = new Set<string>();
    for (const svc of services.items) {
      if (svc.metadata.deletionTimestamp) continue;
      const desired = desiredEndpoints(svc, pods.items);
      if (!desired) continue;
      wanted.add(svc.metadata.name!);
      await this.apply(namespace, desired, existing.get(svc.metadata.name!));
    }
    for (const [name, e] of existing) {
      if (wanted.has(name) || e.metadata.labels?.[ENDPOINTS_MANAGED_LABEL] === undefined) continue;
      try {
        await this.registry.delete(ENDPOINTS, namespace, name, {}, WRITE);
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
  }

  private async apply(namespace: string, desired: KubeObject, current?: KubeObject) {
    if (!current) {
      try {
        await this.registry.create(ENDPOINTS, namespace, desired, WRITE);
        this.log.debug('endpoints created', { endpoints: `${namespace}/${desired.metadata.name}` });
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    await this.registry.guaranteedUpdate(
      ENDPOINTS,
      namespace,
      desired.metadata.name!,
      undefined,
      WRITE,
      (cur) => {
        const labels = { ...(cur.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) };
        if (
          isDeepStrictEqual(cur.subsets ?? [], desired.subsets) &&
          isDeepStrictEqual(cur.metadata.labels ?? {}, labels)
        )
          return cur;
        return { ...cur, metadata: { ...cur.metadata, labels }, subsets: desired.subsets };
      },
    );
  }
}
