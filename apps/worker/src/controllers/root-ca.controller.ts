import {
  API_SERVER_CA_CONFIG_MAP,
  API_SERVER_CA_NAMESPACE,
  caBundle,
  configMapDefinition,
  decideRootCa,
  isAlreadyExists,
  isConflict,
  namespaceDefinition,
  workloads,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import { isGone, WRITE } from './shared';

/** The key a change of the published CAs enqueues: every namespace is looked at. */
export const ALL_NAMESPACES = '*';

/**
 * Kubernetes' root-ca-cert-publisher: every active namespace keeps `kube-root-ca.crt`
 * with the bundle of the API servers' CAs (decision in libs/core/controllers/root-ca),
 * made again when deleted and put back when edited. Namespaces get it in their creating
 * transaction already; this covers the rest (namespaces stored before, a CA a replica
 * published since: the resync visits every namespace).
 */
export class RootCaController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(key: string, enqueue: (key: string) => Promise<void>): Promise<void> {
    if (key === ALL_NAMESPACES) {
      for (const ns of (await this.registry.list(namespaceDefinition, undefined, {})).items)
        await enqueue(ns.metadata.name!);
      return;
    }
    const [ns, source, existing] = await Promise.all([
      this.get(namespaceDefinition, '', key),
      this.get(configMapDefinition, API_SERVER_CA_NAMESPACE, API_SERVER_CA_CONFIG_MAP),
      this.get(configMapDefinition, key, workloads.ROOT_CA_CONFIG_MAP),
    ]);
    const { create, update, recreate } = decideRootCa(ns, existing, caBundle(source));
    try {
      if (recreate) {
        await this.registry.delete(
          configMapDefinition,
          key,
          workloads.ROOT_CA_CONFIG_MAP,
          { preconditions: { uid: existing!.metadata.uid } },
          WRITE,
        );
      }
      const made = create ?? recreate;
      if (made) {
        await this.registry.create(configMapDefinition, key, made, WRITE);
        this.log.info('published the root CA', { namespace: key });
      } else if (update) {
        await this.registry.update(
          configMapDefinition,
          key,
          workloads.ROOT_CA_CONFIG_MAP,
          update,
          '',
          WRITE,
        );
        this.log.info('put the root CA back', { namespace: key });
      }
    } catch (err) {
      // Someone wrote it meanwhile (its change routes here again), or the namespace is
      // going: nothing more to do now.
      if (isAlreadyExists(err) || isConflict(err) || isGone(err)) return;
      throw err;
    }
  }

  private get(
    def: ResourceDefinition,
    namespace: string,
    name: string,
  ): Promise<KubeObject | undefined> {
    return this.registry.get(def, namespace, name).catch((err) => {
      if (isGone(err)) return undefined;
      throw err;
    });
  }
}
