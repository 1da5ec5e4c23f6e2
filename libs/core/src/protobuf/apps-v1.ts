/** k8s.io/api/apps/v1/generated.proto: Deployment and ReplicaSet. */
import {
  bool,
  int32,
  int64,
  intOrString,
  list,
  msg,
  POINTER,
  REQUIRED,
  str,
  time,
  type ProtoDescriptor,
} from './descriptor';
import { PodTemplateSpec } from './core-v1';
import { LabelSelector, ObjectMeta } from './meta-v1';

const DeploymentSpec: ProtoDescriptor = {
  1: int32('replicas', POINTER),
  2: msg('selector', LabelSelector),
  3: msg('template', PodTemplateSpec),
  4: msg('strategy', {
    1: str('type'),
    2: msg('rollingUpdate', { 1: intOrString('maxUnavailable'), 2: intOrString('maxSurge') }),
  }),
  5: int32('minReadySeconds'),
  6: int32('revisionHistoryLimit', POINTER),
  7: bool('paused'),
  9: int32('progressDeadlineSeconds', POINTER),
};

const DeploymentStatus: ProtoDescriptor = {
  1: int64('observedGeneration'),
  2: int32('replicas'),
  3: int32('updatedReplicas'),
  4: int32('availableReplicas'),
  5: int32('unavailableReplicas'),
  6: list('conditions', {
    1: str('type', REQUIRED),
    2: str('status', REQUIRED),
    4: str('reason'),
    5: str('message'),
    6: time('lastUpdateTime'),
    7: time('lastTransitionTime'),
  }),
  7: int32('readyReplicas'),
  8: int32('collisionCount', POINTER),
  9: int32('terminatingReplicas', POINTER),
};

export const Deployment: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', DeploymentSpec),
  3: msg('status', DeploymentStatus),
};

const ReplicaSetStatus: ProtoDescriptor = {
  1: int32('replicas', REQUIRED),
  2: int32('fullyLabeledReplicas'),
  3: int64('observedGeneration'),
  4: int32('readyReplicas'),
  5: int32('availableReplicas'),
  6: list('conditions', {
    1: str('type', REQUIRED),
    2: str('status', REQUIRED),
    3: time('lastTransitionTime'),
    4: str('reason'),
    5: str('message'),
  }),
  7: int32('terminatingReplicas', POINTER),
};

export const ReplicaSet: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', {
    1: int32('replicas', POINTER),
    2: msg('selector', LabelSelector),
    3: msg('template', PodTemplateSpec),
    4: int32('minReadySeconds'),
  }),
  3: msg('status', ReplicaSetStatus),
};
