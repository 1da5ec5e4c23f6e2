/** Structured JSON log lines on stdout, one per event. */
export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** A logger adding `fields` to every line. */
  with(fields: Record<string, unknown>): Logger;
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = { component: 'berth-agent' },
  out: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const max = LEVELS.indexOf(level);
  const write = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(lvl) > max) return;
    out(
      JSON.stringify({ level: lvl, time: new Date().toISOString(), ...base, msg, ...fields }) +
        '\n',
    );
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    with: (fields) => createLogger(level, { ...base, ...fields }, out),
  };
}
