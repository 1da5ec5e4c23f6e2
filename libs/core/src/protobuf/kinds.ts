/** Which apiVersion/kind pairs have a descriptor, i.e. which protobuf bodies Berth can read. */
import type { ProtoDescriptor } from './descriptor';
import { PROTOBUF_KINDS } from './generated/kinds';

/** Older versions whose messages are the same on the wire as a served one. */
const WIRE_ALIASES: Record<string, Record<string, string>> = {
  // policy/v1beta1 Eviction (kubectl drain against servers without policy/v1) is v1's.
  'policy/v1beta1': { Eviction: 'policy/v1' },
};

export function protobufDescriptorFor(
  apiVersion: string,
  kind: string,
): ProtoDescriptor | undefined {
  const alias = Object.hasOwn(WIRE_ALIASES, apiVersion) ? WIRE_ALIASES[apiVersion] : undefined;
  if (alias && Object.hasOwn(alias, kind)) apiVersion = alias[kind];
  const group = Object.hasOwn(PROTOBUF_KINDS, apiVersion) ? PROTOBUF_KINDS[apiVersion] : undefined;
  return group && Object.hasOwn(group, kind) ? group[kind] : undefined;
}

/** Every apiVersion/kind whose protobuf encoding can be decoded. */
export function protobufKinds(): Array<{ apiVersion: string; kind: string }> {
  return Object.entries(PROTOBUF_KINDS).flatMap(([apiVersion, kinds]) =>
    Object.keys(kinds).map((kind) => ({ apiVersion, kind })),
  );
}
