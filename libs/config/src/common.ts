import { z } from 'zod';
import { LOG_FORMATS, LOG_LEVEL_ALIASES, LOG_LEVELS } from './log';
import { type Option, value } from './options';

/** Options more than one process reads, defined once (same variable, flag and meaning). */
export const logOptions = {
  logLevel: {
    env: 'BERTH_LOG_LEVEL',
    arg: 'LEVEL',
    help: `${LOG_LEVELS.join('|')} (default info)`,
    schema: z
      .string()
      .transform((v) => LOG_LEVEL_ALIASES[v] ?? v)
      .pipe(value.oneOf(LOG_LEVELS))
      .default('info'),
  },
  logFormat: {
    env: 'BERTH_LOG_FORMAT',
    arg: 'FORMAT',
    help: 'json lines, or text for a person (default json)',
    schema: value.oneOf(LOG_FORMATS).default('json'),
  },
} satisfies Record<string, Option>;

export const storeOptions = {
  databaseUrl: {
    env: 'DATABASE_URL',
    arg: 'URL',
    help: 'PostgreSQL URL (default postgresql://postgres@127.0.0.1:5432/berth)',
    schema: value.url(
      /^postgres(ql)?:\/\//,
      'a postgresql:// URL',
      'postgresql://postgres@127.0.0.1:5432/berth',
    ),
  },
  redisUrl: {
    env: 'REDIS_URL',
    arg: 'URL',
    help: 'Redis URL (default redis://127.0.0.1:6379)',
    schema: value.string('redis://127.0.0.1:6379'),
  },
  queuePrefix: {
    env: 'BERTH_QUEUE_PREFIX',
    arg: 'PREFIX',
    help: 'Redis key prefix, the same for the API and its workers (default berth)',
    schema: value.string('berth'),
  },
} satisfies Record<string, Option>;
