/** Structured JSON log lines on stdout, one per event. */
export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function createLogger(component: string, level: (typeof LEVELS)[number]): Logger {
  const max = LEVELS.indexOf(level);
  const write =
    (lvl: (typeof LEVELS)[number]) => (msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS.indexOf(lvl) > max) return;
      process.stdout.write(
        JSON.stringify({ level: lvl, time: new Date().toISOString(), component, msg, ...fields }) +
          '\n',
      );
    };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}
