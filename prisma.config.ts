// Prisma CLI configuration: JavaScript engines with the pg driver adapter, because
// Prisma's native engines cannot be downloaded on machines without internet.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { parse } from 'pg-connection-string';

process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/berth';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  // An object, not { connectionString }: with a string the shadow database would
  // silently point at the main one.
  adapter: async () => new PrismaPg(parse(process.env.DATABASE_URL!) as never),
});
