import { Injectable } from '@nestjs/common';
import {
  budgetAfterEviction,
  canEvict,
  errors,
  evictionRefusal,
  findResource,
  isConflict,
  parseDeleteOptions,
  type DeleteRequestOptions,
  type KubeObject,
} from '@berth/core';
import { fieldsOf, Registry, type TransactionStep, type WriteOptions } from '@berth/registry';
import type { JsonObject } from '@berth/store';

const PODS = findResource('', 'v1', 'pods')!;
const PDBS = findResource('policy', 'v1', 'poddisruptionbudgets')!;
const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];
/** Rounds of re-reading the pod and its budget when a concurrent write got there first. */
const MAX_ATTEMPTS = 10;

/** The budget changed between the read and the eviction's write: read it again. */
class BudgetChanged extends Error {}

/** kube-apiserver's answer to an admitted eviction. */
const EVICTED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  code: 201,
} as const;

/**
 * `POST /api/v1/namespaces/{ns}/pods/{name}/eviction` (policy/v1 Eviction, v1beta1
 * accepted): deletes the pod unless a PodDisruptionBudget forbids it, as kube-apiserver's
 * eviction REST (pkg/registry/core/pod/storage/eviction.go). The budget's disruption is
 * taken (disruptionsAllowed − 1, the pod under disruptedPods) in the same transaction as
 * the pod's deletion, guarded by the budget's resourceVersion: of two concurrent
 * evictions under a budget allowing one, exactly one passes.
 */
@Injectable()
export class Evictions {
  constructor(private readonly registry: Registry) {}

  async evict(
    namespace: string,
    name: string,
    body: unknown,
    query: (name: string) => string[] | undefined,
    opts: WriteOptions,
  ): Promise<typeof EVICTED> {
    const options = this.deleteOptions(namespace, name, body, query);
    const write: WriteOptions = { ...opts, dryRun: options.dryRun };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const pod = await this.registry.get(PODS, namespace, name);
      const pdbs = (await this.registry.list(PDBS, namespace, {})).items;
      const decision = canEvict(pdbs, pod);
      if (!decision.allowed) throw evictionRefusal(decision);
      const deleteOptions = { ...options, preconditions: { ...options.preconditions } };
      const pinned =
        decision.unhealthy === true && deleteOptions.preconditions.resourceVersion === undefined;
      // An unready pod evicted without a disruption: only as long as it stays unready.
      if (pinned) deleteOptions.preconditions.resourceVersion = pod.metadata.resourceVersion;
      const pdb = decision.pdb ? pdbs.find((p) => p.metadata.name === decision.pdb) : undefined;
      try {
        await this.registry.delete(
          PODS,
          namespace,
          name,
          deleteOptions,
          write,
          pdb && this.takeDisruption(pdb, name),
        );
        return EVICTED;
      } catch (err) {
        if (err instanceof BudgetChanged || (pinned && isConflict(err))) continue;
        throw err;
      }
    }
    throw errors.tooManyRequests(
      'the pod and its disruption budget kept changing during the eviction; try again',
      1,
    );
  }

  /** The step writing the budget as the eviction leaves it, if it is still as read. */
  private takeDisruption(pdb: KubeObject, podName: string): TransactionStep {
    const next = budgetAfterEviction(pdb, podName, new Date());
    const key = this.registry.key(PDBS, pdb.metadata.namespace ?? '', pdb.metadata.name!);
    return {
      async run(tx) {
        const written = await tx.update(
          key,
          next as JsonObject,
          fieldsOf(PDBS, next),
          BigInt(pdb.metadata.resourceVersion!),
        );
        if (!written) throw new BudgetChanged();
      },
    };
  }

  /** The Eviction body's DeleteOptions, checked against the URL. */
  private deleteOptions(
    namespace: string,
    name: string,
    body: unknown,
    query: (name: string) => string[] | undefined,
  ): DeleteRequestOptions {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw errors.badRequest(
        'the body of an eviction must be an Eviction (policy/v1) naming the pod in metadata.name',
      );
    const b = body as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
    if (b.kind !== 'Eviction' || !EVICTION_VERSIONS.includes(String(b.apiVersion))) {
      throw errors.badRequest(
        `the body of an eviction must be kind Eviction, apiVersion policy/v1 (or policy/v1beta1); got kind ${JSON.stringify(b.kind ?? '')}, apiVersion ${JSON.stringify(b.apiVersion ?? '')}`,
      );
    }
    const meta = (b.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (meta.name !== name) {
      throw errors.badRequest('name in URL does not match name in Eviction object', [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: ${JSON.stringify(meta.name ?? '')}: must be "${name}"`,
        },
      ]);
    }
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
        [
          {
            reason: 'FieldValueInvalid',
            field: 'metadata.namespace',
            message: `Invalid value: ${JSON.stringify(meta.namespace)}: must be "${namespace}"`,
          },
        ],
      );
    }
    const raw = (body as { deleteOptions?: unknown }).deleteOptions;
    return parseDeleteOptions(raw ?? undefined, query);
  }
}
