/**
 * `metav1.LabelSelector` objects as the workload kinds need them, on top of
 * `libs/core/src/selectors`, with the error handling made total (no throws).
 */
import type { StatusCause } from '../api/status';
import {
  formatLabelSelector,
  labelSelectorFromObject,
  matchesLabels,
  validateLabelSelectorObject,
  type LabelSelector,
  type LabelSelectorObject,
} from '../selectors';
import { isObject } from './util';

function toRequirements(selector: unknown): LabelSelector | undefined {
  if (!isObject(selector)) return undefined;
  try {
    return labelSelectorFromObject(selector as LabelSelectorObject);
  } catch {
    return undefined;
  }
}

/**
 * The selector as `labels.Selector.String()` prints it (`app=web,tier in (a,b)`): `''` for an
 * empty or missing selector, `<invalid>` for one that does not parse.
 */
export function selectorString(selector: unknown): string {
  if (!isObject(selector)) return '';
  const reqs = toRequirements(selector);
  return reqs ? formatLabelSelector(reqs) : '<invalid>';
}

/** Whether `labels` satisfy `selector`. A missing or invalid selector matches nothing. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const reqs = toRequirements(selector);
  return reqs ? matchesLabels(reqs, labels) : false;
}

/** True when the selector has no requirement at all (Kubernetes' "empty selector"). */
export function isEmptySelector(selector: unknown): boolean {
  if (!isObject(selector)) return true;
  const labels = isObject(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0;
  return labels + exprs === 0;
}

/** `ValidateLabelSelector`: label syntax and operator/values consistency. */
export function validateLabelSelector(selector: unknown, field: string): StatusCause[] {
  return validateLabelSelectorObject(selector, field);
}
