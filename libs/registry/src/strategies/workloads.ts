/**
 * Deployments, ReplicaSets, ReplicationControllers and DaemonSets: strategic merge patches
 * merge their pod template's lists (`kubectl set image` sends one container by name).
 */
import {
  daemonSetDefinition,
  deploymentDefinition,
  podSpecPatchSchema,
  replicaSetDefinition,
  replicationControllerDefinition,
} from '@berth/core';
import { defineStrategy } from '../strategy';

const template = podSpecPatchSchema('spec.template.spec');

export const deploymentStrategy = defineStrategy(deploymentDefinition, { patchSchema: template });
export const replicaSetStrategy = defineStrategy(replicaSetDefinition, { patchSchema: template });
export const replicationControllerStrategy = defineStrategy(replicationControllerDefinition, {
  patchSchema: template,
});
export const daemonSetStrategy = defineStrategy(daemonSetDefinition, { patchSchema: template });
