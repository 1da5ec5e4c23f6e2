import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The `berth` command's arguments (what needs no database); backup and restore themselves
// are exercised against real processes in e2e/backup-restore.e2e-spec.ts, reencrypt in
// e2e/reencrypt.e2e-spec.ts.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseArgs } = require('./berth.js');
const berth = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(__dirname, 'berth.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' },
  });

describe('berth command line', () => {
  it('parses commands, files and options', () => {
    expect(parseArgs(['restore', 'x.dump', '--force', '--bump-revision', '5'])).toEqual({
      positional: ['restore', 'x.dump'],
      force: true,
      bump: 5n,
    });
    expect(parseArgs(['backup', '--database-url=postgresql://h/db', 'y'])).toMatchObject({
      positional: ['backup', 'y'],
      databaseUrl: 'postgresql://h/db',
    });
  });

  it('parses reencrypt and its batch size, refusing a bad one', () => {
    expect(parseArgs(['reencrypt', '--batch-size', '50'])).toEqual({
      positional: ['reencrypt'],
      force: false,
      batchSize: 50,
    });
    expect(parseArgs(['reencrypt', '--batch-size=7']).batchSize).toBe(7);
    for (const bad of ['0', '-1', '2.5', '10001', 'lots'])
      expect(() => parseArgs(['reencrypt', '--batch-size', bad])).toThrow(
        /--batch-size must be an integer from 1 to 10000/,
      );
  });

  it('refuses a bump that is not a positive integer', () => {
    for (const bad of ['0', '-3', '1e9', 'many'])
      expect(() => parseArgs(['restore', 'f', '--bump-revision', bad])).toThrow(
        /--bump-revision must be a positive integer/,
      );
  });

  it('prints its usage for --help, and exits 2 with a hint on a usage error', () => {
    const help = berth('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: berth <command>/);
    expect(help.stdout).toContain('restore <file>');
    expect(help.stdout).toContain('reencrypt ');
    for (const args of [
      ['frob'],
      ['backup'],
      ['restore', 'a', 'b'],
      ['backup', 'f', '--force'],
      ['reencrypt', 'f'],
      ['reencrypt', '--force'],
      ['backup', 'f', '--batch-size', '5'],
    ]) {
      const r = berth(...args);
      expect([args, r.status]).toEqual([args, 2]);
      expect(r.stderr).toContain('berth --help');
    }
    const missing = berth('restore', '/nonexistent/berth.dump');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/berth.dump does not exist');
  });

  it('reencrypt without keys says where it looked, and creates no key file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
    try {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'berth.js'), 'reencrypt'], {
        encoding: 'utf8',
        env: { ...process.env, BERTH_ENCRYPTION_KEY: '', BERTH_DATA_DIR: dir },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `no encryption keys: BERTH_ENCRYPTION_KEY is not set and ${path.join(dir, 'encryption-key')} does not exist`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
