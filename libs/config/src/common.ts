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

/**
 * Encryption at rest (the API and every worker write through the store, so all of them
 * need the same keys). See README "Encryption at rest".
 */
export const encryptionOptions = {
  encryptionKey: {
    env: 'BERTH_ENCRYPTION_KEY',
    flag: false,
    help: 'keys that encrypt Secrets at rest: <name>:<base64 of 32 bytes>[,<name>:<base64>...];\nthe first encrypts, all decrypt (default: the key file <data dir>/encryption-key,\ngenerated on first start)',
    schema: value.string(''),
  },
  encryptedResources: {
    env: 'BERTH_ENCRYPTED_RESOURCES',
    arg: 'LIST',
    help: 'comma-separated resources stored encrypted (default secrets)',
    schema: value.string('secrets').transform((v) =>
      v
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== ''),
    ),
  },
} satisfies Record<string, Option>;
