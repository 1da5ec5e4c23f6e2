/**
 * k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto (the messages other groups embed).
 * `managedFields` (17) is left out: kubectl never sends it and the server owns it.
 */
import {
  bool,
  int64,
  list,
  POINTER,
  REQUIRED,
  str,
  stringMap,
  strings,
  time,
  type ProtoDescriptor,
} from './descriptor';

export const OwnerReference: ProtoDescriptor = {
  1: str('kind', REQUIRED),
  3: str('name', REQUIRED),
  4: str('uid', REQUIRED),
  5: str('apiVersion', REQUIRED),
  6: bool('controller', POINTER),
  7: bool('blockOwnerDeletion', POINTER),
};

export const ObjectMeta: ProtoDescriptor = {
  1: str('name'),
  2: str('generateName'),
  3: str('namespace'),
  4: str('selfLink'),
  5: str('uid'),
  6: str('resourceVersion'),
  7: int64('generation'),
  8: time('creationTimestamp'),
  9: time('deletionTimestamp'),
  10: int64('deletionGracePeriodSeconds', POINTER),
  11: stringMap('labels'),
  12: stringMap('annotations'),
  13: list('ownerReferences', OwnerReference),
  14: strings('finalizers'),
};

export const LabelSelectorRequirement: ProtoDescriptor = {
  1: str('key', REQUIRED),
  2: str('operator', REQUIRED),
  3: strings('values'),
};

export const LabelSelector: ProtoDescriptor = {
  1: stringMap('matchLabels'),
  2: list('matchExpressions', LabelSelectorRequirement),
};

export const FieldSelectorRequirement: ProtoDescriptor = {
  1: str('key', REQUIRED),
  2: str('operator', REQUIRED),
  3: strings('values'),
};

/** `metav1.Condition`. */
export const Condition: ProtoDescriptor = {
  1: str('type', REQUIRED),
  2: str('status', REQUIRED),
  3: int64('observedGeneration'),
  4: time('lastTransitionTime'),
  5: str('reason', REQUIRED),
  6: str('message', REQUIRED),
};
