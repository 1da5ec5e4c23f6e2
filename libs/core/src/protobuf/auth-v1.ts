/**
 * k8s.io/api/authorization/v1 (SelfSubjectAccessReview, for `kubectl auth can-i`) and
 * authentication/v1 (SelfSubjectReview, for `kubectl auth whoami`; `userInfo.extra` is not
 * decoded).
 */
import { bool, list, msg, REQUIRED, str, strings, type ProtoDescriptor } from './descriptor';
import { FieldSelectorRequirement, LabelSelectorRequirement, ObjectMeta } from './meta-v1';

const ResourceAttributes: ProtoDescriptor = {
  1: str('namespace'),
  2: str('verb'),
  3: str('group'),
  4: str('version'),
  5: str('resource'),
  6: str('subresource'),
  7: str('name'),
  8: msg('fieldSelector', {
    1: str('rawSelector'),
    2: list('requirements', FieldSelectorRequirement),
  }),
  9: msg('labelSelector', {
    1: str('rawSelector'),
    2: list('requirements', LabelSelectorRequirement),
  }),
};

export const SelfSubjectAccessReview: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', {
    1: msg('resourceAttributes', ResourceAttributes),
    2: msg('nonResourceAttributes', { 1: str('path'), 2: str('verb') }),
  }),
  3: msg('status', {
    1: bool('allowed', REQUIRED),
    2: str('reason'),
    3: str('evaluationError'),
    4: bool('denied'),
  }),
};

/** `kubectl auth can-i --list`: only the spec is read (the status is the server's answer). */
export const SelfSubjectRulesReview: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', { 1: str('namespace') }),
};

export const SelfSubjectReview: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('status', {
    1: msg('userInfo', { 1: str('username'), 2: str('uid'), 3: strings('groups') }),
  }),
};
