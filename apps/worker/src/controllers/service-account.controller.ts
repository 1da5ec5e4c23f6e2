import {
  decideServiceAccounts,
  DEFAULT_SERVICE_ACCOUNT,
  findResource,
  isAlreadyExists,
  namespaceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import { isGone, WRITE } from './shared';

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;

/**
 * Kubernetes' ServiceAccountsController: every active namespace keeps a `default`
 * ServiceAccount (decision in libs/core/controllers/service-account). Namespaces get it
 * in their creating transaction already; this makes it again when someone deletes it,
 * and for namespaces stored before accounts were served (the resync visits every one).
 */
export class ServiceAccountController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(namespace: string): Promise<void> {
    const ns = await this.registry.get(namespaceDefinition, '', namespace).catch((err) => {
      if (isGone(err)) return undefined;
      throw err;
    });
    const existing = await this.registry
      .get(SERVICE_ACCOUNTS, namespace, DEFAULT_SERVICE_ACCOUNT)
      .then((sa) => [sa.metadata.name!])
      .catch((err) => {
        if (isGone(err)) return [] as string[];
        throw err;
      });
    const { create } = decideServiceAccounts(ns, existing);
    if (!create) return;
    try {
      await this.registry.create(SERVICE_ACCOUNTS, namespace, create, WRITE);
      this.log.info('created the default service account', { namespace });
    } catch (err) {
      // Made meanwhile, or the namespace started terminating: nothing left to do.
      if (isAlreadyExists(err) || isGone(err)) return;
      throw err;
    }
  }
}
