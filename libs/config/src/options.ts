import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * A configuration error: names the variable (and flag), the bad value and what is
 * expected. Every process prints its message and exits with CONFIG_EXIT_CODE.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Exit code of a process whose configuration is invalid (as before: 2, like a usage error). */
export const CONFIG_EXIT_CODE = 2;

/**
 * One setting: an environment variable, usually with a flag of the same meaning (flags win),
 * and a zod schema that turns the raw text (undefined when unset or empty) into its value.
 */
export interface Option<T = unknown> {
  /** The environment variable, e.g. BERTH_API_URL. */
  env: string;
  /**
   * The flag without its dashes, e.g. `api-url`; default: the variable's name without
   * BERTH_, in lower case with dashes. `false`: environment only (secrets: a command line
   * is readable by every process of the host).
   */
  flag?: string | false;
  /** What the flag takes, for --help (`N`, `URL`); none: a switch (`--proxy`). */
  arg?: string;
  /** A switch's negative form (`no-proxy`): sets the value to "false". */
  negative?: string;
  /** One or more lines for --help, the default included. */
  help: string;
  schema: z.ZodType<T>;
}

export type Options = Record<string, Option>;
export type Values<S extends Options> = { [K in keyof S]: z.output<S[K]['schema']> };

/** The flag of an option, or undefined when it has none. */
export function flagOf(option: Option): string | undefined {
  if (option.flag === false) return undefined;
  return (
    option.flag ??
    option.env
      .replace(/^BERTH_/, '')
      .toLowerCase()
      .replace(/_/g, '-')
  );
}

/** An issue whose message is already a full sentence about the value (e.g. a parser's own). */
const VERBATIM = 'verbatim';

/** Validates with `parse`, whose error message (naming the value) becomes the config error. */
export function parsedBy<T>(parse: (raw: string) => T) {
  return z.string().transform((raw, ctx): T => {
    try {
      return parse(raw);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: (err as Error).message,
        params: { [VERBATIM]: true },
      });
      return z.NEVER;
    }
  });
}

/** Value schemas with the messages config errors are made of ("must be <message>"). */
export const value = {
  int(fallback: number, min = 0) {
    const expected = `an integer ≥ ${min}`;
    return z.coerce
      .number({ error: expected })
      .int({ error: expected })
      .min(min, { error: expected })
      .default(fallback);
  },
  /** An integer that may be unset (undefined: the feature is off). */
  optionalInt(min = 0) {
    const expected = `an integer ≥ ${min}`;
    return z.coerce
      .number({ error: expected })
      .int({ error: expected })
      .min(min, { error: expected })
      .optional();
  },
  probability(fallback = 0) {
    const expected = 'a probability between 0 and 1';
    return z.coerce
      .number({ error: expected })
      .min(0, { error: expected })
      .max(1, { error: expected })
      .default(fallback);
  },
  string(fallback: string | (() => string)) {
    return z.string().default(() => (typeof fallback === 'string' ? fallback : fallback()));
  },
  optionalString() {
    return z.string().optional();
  },
  oneOf<const V extends readonly [string, ...string[]]>(values: V) {
    return z.enum(values, { error: `one of ${values.join(', ')}` });
  },
  /** true|false (also 1|0, on|off, yes|no), any case. */
  boolean() {
    return z
      .string()
      .toLowerCase()
      .pipe(
        z.enum(['true', '1', 'on', 'yes', 'false', '0', 'off', 'no'], { error: 'true or false' }),
      )
      .transform((v) => ['true', '1', 'on', 'yes'].includes(v));
  },
  /** A comma-separated list, trimmed, empty items dropped. */
  list() {
    return z
      .string()
      .default('')
      .transform((raw) =>
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
  },
  url(protocols: RegExp, expected: string, fallback: string) {
    return z.string().regex(protocols, { error: expected }).default(fallback);
  },
};

export interface Source {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The settings, or that --help was asked (then nothing else is read or checked). */
export type Parsed<S extends Options> = { help: true } | { help: false; values: Values<S> };

/**
 * Reads `options` from flags (node:util parseArgs; `--name value` or `--name=value`) over
 * the environment, validating each with its schema. Throws ConfigError.
 */
export function loadOptions<S extends Options>(options: S, source: Source = {}): Parsed<S> {
  const env = source.env ?? process.env;
  const fromFlags = new Map<string, string>();
  const byFlag = new Map<string, { key: string; value?: string }>();
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [key, option] of Object.entries(options)) {
    const flag = flagOf(option);
    if (!flag) continue;
    byFlag.set(flag, { key });
    parseOptions[flag] = { type: option.arg ? 'string' : 'boolean' };
    if (option.negative) {
      byFlag.set(option.negative, { key, value: 'false' });
      parseOptions[option.negative] = { type: 'boolean' };
    }
  }
  // Not strict, so that a switch takes a value too (`--proxy=false`); what strict mode
  // would refuse is refused below, in words naming the flag.
  const { tokens } = parseArgs({
    args: [...(source.argv ?? [])],
    options: parseOptions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') throw new ConfigError(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    if (token.name === 'help' || token.name === 'h') return { help: true };
    const target = byFlag.get(token.name);
    if (!target) throw new ConfigError(`unknown option ${token.rawName} (see --help)`);
    const option = options[target.key];
    let raw = target.value ?? token.value;
    if (raw === undefined && !option.arg) raw = 'true';
    if (raw === undefined) throw new ConfigError(`${token.rawName} needs a value`);
    fromFlags.set(target.key, raw.trim());
  }
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(options)) {
    const flagged = fromFlags.get(key);
    const raw = flagged ?? env[option.env];
    const given = raw === undefined || raw === '' ? undefined : raw;
    const result = option.schema.safeParse(given);
    if (!result.success) {
      const flag = flagOf(option);
      const who =
        flagged !== undefined
          ? `--${flag} (${option.env})`
          : flag
            ? `${option.env} (--${flag})`
            : option.env;
      const issue = result.error.issues[0];
      throw new ConfigError(
        issue.code === 'custom' && issue.params?.[VERBATIM]
          ? `${who}: ${issue.message}`
          : `${who} must be ${issue.message}; got "${given ?? ''}"`,
      );
    }
    values[key] = result.data;
  }
  return { help: false, values: values as Values<S> };
}

/** The settings from the environment alone (no flags): for tests and embedding. */
export function loadEnv<S extends Options>(options: S, env: NodeJS.ProcessEnv): Values<S> {
  const read = loadOptions(options, { env });
  if (read.help) throw new Error('no command line, so no --help');
  return read.values;
}

export interface HelpText {
  /** First lines: what the process is. */
  intro: string;
  usage: string;
  /** Notes after the options. */
  outro?: string;
}

/** --help: every option with its flag, variable and help, from the same definitions. */
export function helpText(options: Options, text: HelpText): string {
  const rows = Object.values(options).map((o) => {
    const flag = flagOf(o);
    const flags = !flag
      ? ''
      : [`--${flag}${o.arg ? ` ${o.arg}` : ''}`, ...(o.negative ? [`--${o.negative}`] : [])].join(
          ', ',
        );
    return { flags, env: o.env, help: o.help.split('\n') };
  });
  rows.push({ flags: '-h, --help', env: '', help: ['this text'] });
  const w1 = Math.max(...rows.map((r) => r.flags.length)) + 2;
  const w2 = Math.max(...rows.map((r) => r.env.length)) + 2;
  const lines = rows.flatMap((r) => [
    `  ${r.flags.padEnd(w1)}${r.env.padEnd(w2)}${r.help[0]}`.trimEnd(),
    ...r.help.slice(1).map((h) => `  ${''.padEnd(w1 + w2)}${h}`),
  ]);
  return [
    text.intro.trimEnd(),
    '',
    `Usage: ${text.usage}`,
    '',
    'Options (flags win over the environment; an empty variable counts as unset):',
    ...lines,
    ...(text.outro ? ['', text.outro.trimEnd()] : []),
    '',
  ].join('\n');
}
