/**
 * Node selectors and node affinity (component-helpers scheduling/corev1/nodeaffinity):
 * `spec.nodeSelector`, required node selector terms (ORed; the expressions and fields of
 * one term ANDed) and preferred terms (weights summed over the matching ones).
 *
 * A term that is empty, or that Kubernetes would reject (unknown operator, wrong number of
 * values, a non-integer for Gt/Lt, an invalid key or value), matches no node.
 */
import type { KubeObject } from '../api/types';
import { arr, isObject, obj } from '../resources/util';
import { isQualifiedName, isValidLabelValue } from '../validation/names';

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export type NodeSelectorRequirement = {
  key: string;
  operator: NodeSelectorOperator | string;
  values?: string[];
};

export type NodeSelectorTerm = {
  matchExpressions?: NodeSelectorRequirement[];
  /** Only `metadata.name` with In/NotIn and exactly one value is meaningful. */
  matchFields?: NodeSelectorRequirement[];
};

export type PreferredSchedulingTerm = { weight: number; preference: NodeSelectorTerm };

/** A compiled term: a predicate over a node's labels and name. */
export type NodeTermMatcher = (labels: Record<string, string>, name: string) => boolean;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `strconv.ParseInt(s, 10, 64)`. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

// Captured once: global lookups are slow inside vm contexts (Jest's sandbox), and matching
// runs O(pods × nodes) times.
const hasOwn = Object.hasOwn;

/**
 * A set-based requirement, with the semantics of `matchesLabels` in ../selectors (kept
 * separate so that values are looked up in a Set and nothing is allocated per node).
 */
type LabelRequirement =
  | { key: string; op: 'In' | 'NotIn'; values: Set<string> }
  | { key: string; op: 'Exists' | 'DoesNotExist' };

function matchesRequirements(
  reqs: readonly LabelRequirement[],
  labels: Record<string, string>,
): boolean {
  for (const r of reqs) {
    const has = hasOwn(labels, r.key);
    switch (r.op) {
      case 'In':
        if (!has || !r.values.has(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.has(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

type NumericRequirement = { key: string; gt: boolean; value: bigint };
type FieldRequirement = { equal: boolean; key: string; value: string };

function stringValues(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return undefined;
  return v as string[];
}

/**
 * Compiles one NodeSelectorTerm; `undefined` when it can match nothing (empty or invalid).
 */
export function compileNodeSelectorTerm(term: unknown): NodeTermMatcher | undefined {
  if (!isObject(term)) return undefined;
  const exprs = arr(term.matchExpressions);
  const fieldExprs = arr(term.matchFields);
  if (exprs.length === 0 && fieldExprs.length === 0) return undefined;

  const labelReqs: LabelRequirement[] = [];
  const numeric: NumericRequirement[] = [];
  for (const e of exprs) {
    if (!isObject(e) || typeof e.key !== 'string' || isQualifiedName(e.key).length > 0) {
      return undefined;
    }
    const values = stringValues(e.values);
    if (!values) return undefined;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0 || values.some((v) => isValidLabelValue(v).length > 0)) {
          return undefined;
        }
        labelReqs.push({ key: e.key, op: e.operator, values: new Set(values) });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return undefined;
        labelReqs.push({ key: e.key, op: e.operator });
        break;
      case 'Gt':
      case 'Lt': {
        const n = values.length === 1 ? parseInt64(values[0]!) : undefined;
        if (n === undefined) return undefined;
        numeric.push({ key: e.key, gt: e.operator === 'Gt', value: n });
        break;
      }
      default:
        return undefined;
    }
  }

  const fields: FieldRequirement[] = [];
  for (const e of fieldExprs) {
    if (!isObject(e) || typeof e.key !== 'string') return undefined;
    const values = stringValues(e.values);
    if (!values || values.length !== 1) return undefined;
    if (e.operator !== 'In' && e.operator !== 'NotIn') return undefined;
    fields.push({ equal: e.operator === 'In', key: e.key, value: values[0]! });
  }

  return (labels, name) => {
    if (labelReqs.length > 0 && !matchesRequirements(labelReqs, labels)) return false;
    for (const r of numeric) {
      if (!hasOwn(labels, r.key)) return false;
      const v = parseInt64(labels[r.key]!);
      if (v === undefined) return false;
      if (r.gt ? !(v > r.value) : !(v < r.value)) return false;
    }
    for (const f of fields) {
      // The only field a node offers to these selectors is metadata.name.
      const actual = f.key === 'metadata.name' ? name : '';
      if ((actual === f.value) !== f.equal) return false;
    }
    return true;
  };
}

/** Compiles a list of terms (ORed); `[]` when none can match. */
export function compileNodeSelectorTerms(terms: unknown): NodeTermMatcher[] {
  const out: NodeTermMatcher[] = [];
  for (const t of arr(terms)) {
    const m = compileNodeSelectorTerm(t);
    if (m) out.push(m);
  }
  return out;
}

export function nodeLabels(node: KubeObject): Record<string, string> {
  const labels = obj(obj(node.metadata).labels);
  return labels as Record<string, string>;
}

export function nodeName(node: KubeObject): string {
  const n = obj(node.metadata).name;
  return typeof n === 'string' ? n : '';
}

/**
 * Whether a node matches any of the NodeSelectorTerms (required node affinity semantics:
 * terms ORed, the requirements within a term ANDed; an empty list matches nothing).
 */
export function nodeMatchesSelectorTerms(
  node: KubeObject,
  terms: readonly NodeSelectorTerm[] | unknown,
): boolean {
  const labels = nodeLabels(node);
  const name = nodeName(node);
  return compileNodeSelectorTerms(terms).some((m) => m(labels, name));
}

/** The pod's node placement constraints, compiled once for evaluation against many nodes. */
export type CompiledNodeAffinity = {
  /** `spec.nodeSelector` as [key, value] pairs, or undefined when absent. */
  nodeSelector: Array<[string, string]> | undefined;
  /** Required terms (ORed), or undefined when the pod has no required node affinity. */
  required: NodeTermMatcher[] | undefined;
  /** Preferred terms with a positive weight. */
  preferred: Array<{ weight: number; match: NodeTermMatcher }>;
};

export function compilePodNodeAffinity(pod: KubeObject): CompiledNodeAffinity {
  const spec = obj(pod.spec);
  let nodeSelector: Array<[string, string]> | undefined;
  if (isObject(spec.nodeSelector)) {
    // A non-string value can never equal a label value.
    nodeSelector = Object.entries(spec.nodeSelector).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : '\u0000',
    ]);
  }
  const nodeAffinity = obj(obj(spec.affinity).nodeAffinity);
  let required: NodeTermMatcher[] | undefined;
  const req = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (isObject(req)) required = compileNodeSelectorTerms(req.nodeSelectorTerms);
  const preferred: CompiledNodeAffinity['preferred'] = [];
  for (const p of arr(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution)) {
    const weight = obj(p).weight;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) continue;
    const match = compileNodeSelectorTerm(obj(p).preference);
    if (match) preferred.push({ weight, match });
  }
  return { nodeSelector, required, preferred };
}

/** The NodeAffinity filter: nodeSelector and required terms must both hold. */
export function matchesRequiredAffinity(
  a: CompiledNodeAffinity,
  labels: Record<string, string>,
  name: string,
): boolean {
  if (a.nodeSelector) {
    for (const [k, v] of a.nodeSelector) if (!hasOwn(labels, k) || labels[k] !== v) return false;
  }
  if (a.required) {
    let any = false;
    for (const m of a.required) {
      if (m(labels, name)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/** NodeAffinity's raw score: the sum of the weights of the matching preferred terms. */
export function preferredAffinityWeight(
  a: CompiledNodeAffinity,
  labels: Record<string, string>,
  name: string,
): number {
  let sum = 0;
  for (const p of a.preferred) if (p.match(labels, name)) sum += p.weight;
  return sum;
}
