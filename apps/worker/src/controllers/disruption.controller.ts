import {
  expectedScale,
  findResource,
  formatTimestamp,
  PDB_DELETION_TIMEOUT_MS,
  pdbNeedsScale,
  pdbSelectsPod,
  pdbStatus,
  type KubeObject,
  type ResourceDefinition,
} from '@berth/core';
import type { Registry } from '@berth/registry';
import type { Logger } from '../log';
import type { ReconcileResult } from '../queue/work-queues';
import {
  DEPLOYMENTS,
  isGone,
  PODDISRUPTIONBUDGETS,
  PODS,
  REPLICASETS,
  REPLICATIONCONTROLLERS,
  WRITE,
} from './shared';

/** The kinds whose scale a percentage budget counts (StatefulSet once it is served). */
const SCALED: ResourceDefinition[] = [
  REPLICASETS,
  DEPLOYMENTS,
  REPLICATIONCONTROLLERS,
  ...[findResource('apps', 'v1', 'statefulsets')].filter((d): d is ResourceDefinition => !!d),
];

/**
 * kube-controller-manager's disruption controller: keeps every PodDisruptionBudget's
 * status (healthy, desired and expected pods, disruptions allowed, the DisruptionAllowed
 * condition, evictions not yet seen through) in line with the pods it selects, per
 * namespace (a pod or budget change reconciles its namespace). Decisions in
 * libs/core/controllers/disruption*.ts; each status write is guarded by the budget's
 * resourceVersion, so an eviction that took a disruption meanwhile wins and this retries.
 */
export class DisruptionController {
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async reconcile(namespace: string): Promise<ReconcileResult | void> {
    const pdbs = (await this.registry.list(PODDISRUPTIONBUDGETS, namespace, {})).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    );
    if (!pdbs.length) return;
    const pods = (await this.registry.list(PODS, namespace, {})).items;
    const controllers: KubeObject[] = [];
    if (pdbs.some(pdbNeedsScale)) {
      for (const def of SCALED)
        controllers.push(...(await this.registry.list(def, namespace, {})).items);
    }
    const now = new Date();
    let recheckAt: number | undefined;
    for (const pdb of pdbs) {
      const status = this.statusOf(pdb, pods, controllers, now);
      for (const at of Object.values(
        (status as { disruptedPods?: Record<string, string> }).disruptedPods ?? {},
      )) {
        const t = (Date.parse(at) || now.getTime()) + PDB_DELETION_TIMEOUT_MS;
        recheckAt = Math.min(recheckAt ?? t, t);
      }
      try {
        await this.registry.guaranteedUpdate(
          PODDISRUPTIONBUDGETS,
          namespace,
          pdb.metadata.name!,
          BigInt(pdb.metadata.resourceVersion!),
          WRITE,
          (cur) => ({ ...cur, status: status as never }),
        );
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    // An eviction not seen through within the deletion timeout counts as healthy again then.
    if (recheckAt !== undefined)
      return { requeueAfterMs: Math.max(1, recheckAt - now.getTime() + 1) };
  }

  private statusOf(
    pdb: KubeObject,
    pods: KubeObject[],
    controllers: KubeObject[],
    now: Date,
  ): Record<string, unknown> {
    if (!pdbNeedsScale(pdb)) return { ...pdbStatus(pdb, pods, now) };
    const scale = expectedScale(
      pods.filter((p) => pdbSelectsPod(pdb, p)),
      controllers,
    );
    if ('error' in scale) {
      // failSafe: nothing may be disrupted while the expected count is unknown.
      this.log.debug('disruption budget sync failed', {
        pdb: `${pdb.metadata.namespace}/${pdb.metadata.name}`,
        error: scale.error,
      });
      const old = (pdb.status ?? {}) as Record<string, unknown>;
      const conditions = (Array.isArray(old.conditions) ? old.conditions : []) as Record<
        string,
        unknown
      >[];
      const prev = conditions.find((c) => c.type === 'DisruptionAllowed');
      return {
        ...old,
        disruptionsAllowed: 0,
        conditions: [
          ...conditions.filter((c) => c.type !== 'DisruptionAllowed'),
          {
            type: 'DisruptionAllowed',
            status: 'False',
            reason: 'SyncFailed',
            message: scale.error,
            observedGeneration: old.observedGeneration ?? 0,
            lastTransitionTime:
              prev?.status === 'False' ? prev.lastTransitionTime : formatTimestamp(now),
          },
        ],
      };
    }
    return { ...pdbStatus(pdb, pods, now, scale.scale) };
  }
}
