/**
 * Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion),
 * used for a container's `command`, `args` and `env` values:
 * - `$(NAME)` is replaced by NAME's value when NAME is defined, else left as written;
 * - `$$` is an escaped `$` (so `$$(NAME)` yields the literal `$(NAME)`);
 * - any other `$` (and an unclosed `$(`) is kept as is.
 */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        const value = vars.get(name);
        out += value ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += `$${next}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

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
