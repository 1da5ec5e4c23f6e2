import type { LoggerService } from '@nestjs/common';
import { createLogger, type Logger, type LogLevel } from '@berth/config';
import type { AppConfig } from './app-config';

/** Nest's start-up chatter (one line per module and route): debug, not info. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
]);

const looksLikeStack = (v: unknown): v is string => typeof v === 'string' && /\n\s+at /.test(v);

/**
 * Nest's LoggerService over the one Berth logger: Nest's `log`/`verbose`/`fatal` are info,
 * trace and error; its context (`new Logger('Watch')`) is the line's `context` field.
 */
export class NestLogger implements LoggerService {
  constructor(readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? rest[rest.length - 1] : undefined;
    this.write(BOOT_CONTEXTS.has(context as string) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest, { fatal: true });
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  private write(
    level: LogLevel,
    message: unknown,
    rest: unknown[],
    extra: Record<string, unknown> = {},
  ): void {
    if (!this.logger.enabled(level)) return;
    // Nest passes (message, ...params, context) and, for errors, (message, stack, context).
    const params = [...rest];
    const fields: Record<string, unknown> = { ...extra };
    if (
      params.length &&
      typeof params[params.length - 1] === 'string' &&
      !looksLikeStack(params[params.length - 1])
    )
      fields.context = params.pop();
    for (const p of params) {
      if (looksLikeStack(p)) fields.stack = p;
      else if (p instanceof Error) fields.error = p;
      else if (p && typeof p === 'object') Object.assign(fields, p);
      else if (p !== undefined) fields.detail = p;
    }
    let msg: string;
    if (typeof message === 'string') msg = message;
    else if (message instanceof Error) {
      msg = message.message;
      fields.stack ??= message.stack;
    } else if (message && typeof message === 'object') {
      msg = '';
      Object.assign(fields, message);
    } else msg = String(message);
    this.logger[level](msg, fields);
  }
}

/** The API server's logger (component berth-api) at the configured level and format. */
export function apiLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): NestLogger {
  return new NestLogger(
    createLogger({ component: 'berth-api', level: config.logLevel, format: config.logFormat }),
  );
}
