/** Which apiVersion/kind pairs have a descriptor, i.e. which protobuf bodies Berth can read. */
import { Deployment, ReplicaSet } from './apps-v1';
import { SelfSubjectAccessReview, SelfSubjectReview, SelfSubjectRulesReview } from './auth-v1';
import { ConfigMap, LimitRange, Namespace, Pod, ResourceQuota, Service } from './core-v1';
import type { ProtoDescriptor } from './descriptor';

const KINDS: Readonly<Record<string, Readonly<Record<string, ProtoDescriptor>>>> = {
  v1: { Namespace, Service, Pod, ResourceQuota, LimitRange, ConfigMap },
  'apps/v1': { Deployment, ReplicaSet },
  'authorization.k8s.io/v1': { SelfSubjectAccessReview, SelfSubjectRulesReview },
  'authentication.k8s.io/v1': { SelfSubjectReview },
};

export function protobufDescriptorFor(
  apiVersion: string,
  kind: string,
): ProtoDescriptor | undefined {
  const group = Object.hasOwn(KINDS, apiVersion) ? KINDS[apiVersion] : undefined;
  return group && Object.hasOwn(group, kind) ? group[kind] : undefined;
}

/** Every apiVersion/kind whose protobuf encoding can be decoded. */
export function protobufKinds(): Array<{ apiVersion: string; kind: string }> {
  return Object.entries(KINDS).flatMap(([apiVersion, kinds]) =>
    Object.keys(kinds).map((kind) => ({ apiVersion, kind })),
  );
}
