/**
 * The score step: rank the feasible nodes for a pod.
 */
import type { KubeObject } from '../api/types';
import {
  compareScored,
  compileNode,
  compilePod,
  resolveWeights,
  scoreAll,
  type ScoreWeights,
} from './engine';
import type { NodeInfo } from './node-info';

/**
 * Scores the (already filtered) nodes for a pod and returns them best first; equal scores
 * are ordered by node name, so the result is deterministic. A score is the weighted sum of
 * components of 0–100 each (see {@link ScoreWeights}); components that are normalized
 * (taints, preferred affinity, owner spread) are normalized over the nodes given, as
 * kube-scheduler does. Missing weights take {@link DEFAULT_SCORE_WEIGHTS}.
 */
export function scoreNodes(
  pod: KubeObject,
  feasible: readonly NodeInfo[],
  weights?: Partial<ScoreWeights>,
): Array<{ info: NodeInfo; score: number }> {
  const nodes = feasible.map(compileNode);
  const scores = scoreAll(compilePod(pod), nodes, resolveWeights(weights));
  return nodes
    .map((n, i) => ({ info: n.info, score: scores[i]!, name: n.name }))
    .sort(compareScored)
    .map(({ info, score }) => ({ info, score }));
}
