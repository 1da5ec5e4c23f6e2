/**
 * Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion),
 * for a container's `command`, `args` and `env` values:
 * - `$(NAME)` is replaced by NAME's value when NAME is defined, else left as written;
 * - `$$` is an escaped `$` (so `$$(NAME)` yields the literal `$(NAME)`);
 * - any other `$` (and an unclosed `$(`) is kept as is.
 *
 * The one implementation: libs/runtime re-exports it for commands and args.
 */
export type VarLookup = ReadonlyMap<string, string> | ((name: string) => string | undefined);

export function expandVars(input: string, vars: VarLookup): string {
  const get = typeof vars === 'function' ? vars : (n: string) => vars.get(n);
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
        out += get(name) ?? `$(${name})`;
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
