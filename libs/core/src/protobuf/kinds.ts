/** Which apiVersion/kind pairs have a descriptor, i.e. which protobuf bodies Berth can read. */
import type { ProtoDescriptor } from './descriptor';
import { PROTOBUF_KINDS } from './generated/kinds';

export function protobufDescriptorFor(
  apiVersion: string,
  kind: string,
): ProtoDescriptor | undefined {
  const group = Object.hasOwn(PROTOBUF_KINDS, apiVersion) ? PROTOBUF_KINDS[apiVersion] : undefined;
  return group && Object.hasOwn(group, kind) ? group[kind] : undefined;
}

/** Every apiVersion/kind whose protobuf encoding can be decoded. */
export function protobufKinds(): Array<{ apiVersion: string; kind: string }> {
  return Object.entries(PROTOBUF_KINDS).flatMap(([apiVersion, kinds]) =>
    Object.keys(kinds).map((kind) => ({ apiVersion, kind })),
  );
}
