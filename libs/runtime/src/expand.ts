import { workloads } from '@berth/core';

/**
 * Kubernetes' `$(VAR)` expansion for a container's `command`, `args` and `env` values: the
 * one implementation in @berth/core (workloads/expand.ts), which the agent's env resolver
 * uses too.
 */
export const expandVars: (input: string, vars: ReadonlyMap<string, string>) => string =
  workloads.expandVars;

/**
 * A container's environment: `base` first, then each `env` entry in order, its value
 * expanded against everything defined before it (Kubernetes' rule for env references) —
 * unless `resolved` (the agent expanded them already).
 */
export function buildEnv(
  base: Record<string, string>,
  env: ReadonlyArray<{ name: string; value?: string }> = [],
  resolved = false,
): Map<string, string> {
  const vars = new Map(Object.entries(base));
  for (const e of env)
    vars.set(e.name, resolved ? (e.value ?? '') : expandVars(e.value ?? '', vars));
  return vars;
}
