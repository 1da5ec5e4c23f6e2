/**
 * What Deployment and ReplicaSet share: selector/template agreement, replica counts, the
 * scale subresource and the CONTAINERS/IMAGES/SELECTOR cells.
 */
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateMin } from './causes';
import type { ScaleSupport } from './definition';
import {
  selectorString,
  isEmptySelector,
  selectorMatches,
  validateLabelSelector,
} from './label-selector';
import { podTemplateLabels, validatePodSpec, validateTemplateMeta } from './pod-spec';
import { deepEqual, isObject, num, obj, type JsonObject } from './util';

export function validateWorkloadSpec(
  o: KubeObject,
  kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet',
): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  causes.push(...validateMin(spec.replicas, 0, 'spec.replicas'));
  causes.push(...validateMin(spec.minReadySeconds, 0, 'spec.minReadySeconds'));

  const selector = spec.selector;
  if (!isObject(selector)) {
    causes.push(fe.required('spec.selector'));
  } else if (isEmptySelector(selector)) {
    causes.push(
      fe.invalid('spec.selector', selector, `empty selector is invalid for ${kind.toLowerCase()}`),
    );
  } else {
    causes.push(...validateLabelSelector(selector, 'spec.selector'));
  }

  const template = spec.template;
  if (!isObject(template)) {
    causes.push(fe.required('spec.template'));
    return causes;
  }
  causes.push(...validateTemplateMeta(template, 'spec.template'));
  const labels = podTemplateLabels(template);
  if (isObject(selector) && !isEmptySelector(selector) && !selectorMatches(selector, labels)) {
    causes.push(
      fe.invalid(
        'spec.template.metadata.labels',
        labels,
        '`selector` does not match template `labels`',
      ),
    );
  }
  causes.push(...validatePodSpec(template.spec, { field: 'spec.template.spec', templateOf: kind }));
  return causes;
}

/**
 * What Deployment, ReplicaSet and DaemonSet validate alike, in this order: selector and
 * template ({@link validateWorkloadSpec}), the kind's own spec checks (`own`), its status
 * counts, and on update the immutable selector.
 */
export function validateWorkload(
  o: KubeObject,
  old: KubeObject | undefined,
  kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet',
  statusKeys: readonly string[],
  own: (spec: JsonObject) => StatusCause[] = () => [],
): StatusCause[] {
  const causes = validateWorkloadSpec(o, kind);
  causes.push(...own(obj(o.spec)));
  causes.push(...validateReplicaStatus(o, statusKeys));
  if (old) causes.push(...validateSelectorUpdate(o, old));
  return causes;
}

/** apps/v1 selectors cannot change after creation. */
export function validateSelectorUpdate(o: KubeObject, old: KubeObject): StatusCause[] {
  const next = obj(o.spec).selector;
  const prev = obj(old.spec).selector;
  return deepEqual(next, prev)
    ? []
    : [fe.invalid('spec.selector', next ?? null, 'field is immutable')];
}

export function validateReplicaStatus(o: KubeObject, keys: readonly string[]): StatusCause[] {
  const status = obj(o.status);
  return keys.flatMap((k) => validateMin(status[k], 0, `status.${k}`));
}

export function workloadScale(defaultReplicas: number): ScaleSupport {
  return {
    specReplicas: (o) => num(obj(obj(o).spec).replicas) ?? defaultReplicas,
    statusReplicas: (o) => num(obj(obj(o).status).replicas) ?? 0,
    selector: (o) => selectorString(obj(obj(o).spec).selector),
  };
}

export function statusInt(o: KubeObject, key: string): number {
  return num(obj(o.status)[key]) ?? 0;
}
