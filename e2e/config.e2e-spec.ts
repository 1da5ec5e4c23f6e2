// Each process's --help is printed from its option definitions (libs/config), and every
// process refuses a bad setting in the same words, before it connects to anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { flagOf, LOG_LEVELS, type Options } from '@berth/config';
import { AGENT_OPTIONS } from '../apps/agent/src/config';
import { API_OPTIONS } from '../apps/api/src/config/app-config';
import { WORKER_OPTIONS } from '../apps/worker/src/config';

const ROOT = path.resolve(__dirname, '..');

const PROCESSES: [string, string, Options][] = [
  ['berth-api', 'apps/api/dist/main.js', API_OPTIONS],
  ['berth-worker', 'apps/worker/dist/main.js', WORKER_OPTIONS],
  ['berth-agent', 'apps/agent/dist/main.js', AGENT_OPTIONS],
];

function run(main: string, args: string[], env: Record<string, string> = {}) {
  const file = path.join(ROOT, main);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  const res = spawnSync(process.execPath, [file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe.each(PROCESSES)('%s', (name, main, options) => {
  it('lists every option of its schema in --help (and -h), with its flag and variable', () => {
    const help = run(main, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(name);
    const lines = help.stdout.split('\n');
    for (const option of Object.values(options)) {
      const flag = flagOf(option);
      const line = lines.find((l) => new RegExp(`\\s${option.env}(\\s|$)`).test(l));
      expect([option.env, line]).toEqual([option.env, expect.any(String)]);
      if (flag) expect(line).toMatch(new RegExp(`^\\s+--${flag}[\\s,]`));
      else expect(line).not.toMatch(/^\s+--/);
      // The help says what the value is.
      expect(line!.slice(line!.indexOf(option.env) + option.env.length).trim()).not.toBe('');
    }
    expect(help.stdout).toContain(`BERTH_LOG_LEVEL`);
    expect(help.stdout).toContain(LOG_LEVELS.join('|'));
    expect(run(main, ['-h']).stdout).toBe(help.stdout);
  });

  it('refuses a bad log level in one clear line naming the variable and the allowed values, with exit code 2', () => {
    const res = run(main, [], { BERTH_LOG_LEVEL: 'loud' });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      `${name}: BERTH_LOG_LEVEL (--log-level) must be one of error, warn, info, debug, trace; got "loud"\n`,
    );
  });

  it('refuses a bad flag value and an unknown flag the same way', () => {
    const bad = run(main, ['--log-format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `${name}: --log-format (BERTH_LOG_FORMAT) must be one of json, text; got "xml"\n`,
    );
    const unknown = run(main, ['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`${name}: unknown option --bogus (see --help)\n`);
  });
});
