/**
 * The one logger of every Berth process: one line per event on stdout, JSON by default
 * ({"time","level","msg","component",...fields}), or text for a person at a terminal.
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Names the API server accepted before the vocabulary was one (Nest's): still read, as
 * the level they meant.
 */
export const LOG_LEVEL_ALIASES: Record<string, LogLevel> = { log: 'info', verbose: 'trace' };

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  trace(msg: string, fields?: LogFields): void;
  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean;
  /** A logger adding `fields` to every line. */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** The process (berth-api, berth-worker, berth-agent) or a test's name. */
  component: string;
  level: LogLevel;
  format?: LogFormat;
  /** Fields on every line. */
  fields?: LogFields;
  /** Where lines go (each ends in a newline); default stdout. */
  out?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

/** Errors as their message and stack, not as `{}`. */
function jsonValue(_key: string, v: unknown): unknown {
  if (v instanceof Error) return { message: v.message, stack: v.stack };
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v, jsonValue) ?? String(v);
}

export function formatLine(
  format: LogFormat,
  time: Date,
  level: LogLevel,
  component: string,
  msg: string,
  fields: LogFields,
): string {
  if (format === 'json') {
    return (
      JSON.stringify({ time: time.toISOString(), level, msg, component, ...fields }, jsonValue) +
      '\n'
    );
  }
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${textValue(v)}`)
    .join('');
  return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${msg}${extra}\n`;
}

export function createLogger(options: LoggerOptions): Logger {
  const { component, level, format = 'json', fields = {} } = options;
  const out = options.out ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const max = LOG_LEVELS.indexOf(level);
  const enabled = (lvl: LogLevel) => LOG_LEVELS.indexOf(lvl) <= max;
  const write = (lvl: LogLevel) => (msg: string, more?: LogFields) => {
    if (!enabled(lvl)) return;
    out(formatLine(format, now(), lvl, component, msg, { ...fields, ...more }));
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    trace: write('trace'),
    enabled,
    with: (more) => createLogger({ ...options, fields: { ...fields, ...more } }),
  };
}
