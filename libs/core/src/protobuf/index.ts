export { decodeKubernetesProtobuf, isKubernetesProtobuf, KUBERNETES_PROTOBUF } from './decode';
export { protobufDescriptorFor, protobufKinds } from './kinds';
export type { ProtoDescriptor, ProtoField, ProtoFieldType } from './descriptor';
