#!/usr/bin/env node
// Runs the Prisma CLI with the settings this project needs on every machine:
// a DATABASE_URL (a placeholder is enough for `generate`) and the timer preload.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/berth',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS || ''} --require ${path.join(__dirname, 'unref-timers.js')}`.trim(),
};
const cli = require.resolve('prisma/build/index.js', { paths: [root] });
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
