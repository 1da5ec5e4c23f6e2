import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './support/processes';

// The browser tests' Chromium comes from the @sparticuz/chromium npm package, which unpacks
// into a shared temporary directory (scripts/chromium.js). Two test processes that unpack it
// at once must both get a whole browser: the package alone hands the second one the file the
// first is still writing.

interface Unpacked {
  code: number | null;
  out: string;
  err: string;
  /** `chromium --version` run the moment the process said it was ready. */
  version?: string;
}

function unpack(tmpdir: string): Promise<Unpacked> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/chromium.js')], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmpdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      let version: string | undefined;
      try {
        const { executablePath } = JSON.parse(out);
        const v = spawnSync(executablePath, ['--version'], { encoding: 'utf8', timeout: 30_000 });
        version = v.status === 0 ? v.stdout.trim() : `failed: ${v.error ?? v.stderr}`;
      } catch (e) {
        version = `failed: ${e}`;
      }
      resolve({ code, out, err, version });
    });
  });
}

describe('the npm Chromium', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-browser-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('unpacked by two processes at once, launches for both', async () => {
    const runs = await Promise.all([unpack(tmp), unpack(tmp)]);
    for (const r of runs) {
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      // Whole when handed over, not just by the time both are done.
      expect(r.version).toMatch(/^Chromium \d+\./);
    }
    const [a, b] = runs.map((r) => JSON.parse(r.out));
    expect(b.executablePath).toBe(a.executablePath);
    expect(path.dirname(a.executablePath)).toBe(
      path.join(tmp, path.basename(path.dirname(a.executablePath))),
    );
    // Nothing half-done is left: one finished copy, no staging directories.
    expect(readdirSync(tmp)).toEqual([path.basename(path.dirname(a.executablePath))]);

    const browser = await chromium.launch({
      executablePath: a.executablePath,
      args: a.args,
      headless: true,
    });
    try {
      // Two contexts one after the other (the package's --single-process breaks the second).
      for (const text of ['first', 'second']) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.setContent(`<h1>${text}</h1>`);
        expect(await page.locator('h1').textContent()).toBe(text);
        await context.close();
      }
    } finally {
      await browser.close();
    }
  }, 300_000);
});
