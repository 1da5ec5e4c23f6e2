#!/usr/bin/env node
// The Chromium of the `@sparticuz/chromium` npm package (brotli-packed in node_modules, so
// no system package is needed), unpacked once per version into <tmpdir>/berth-chromium-<v>.
// `node scripts/chromium.js` unpacks it and prints {"executablePath", "args", "source"} for
// playwright-core's chromium.launch(); e2e/support/browser.ts uses it for the browser tests.
//
// The package itself unpacks into <tmpdir>/chromium and takes an existing file there as done,
// so a second process that starts while the first is still writing gets half a binary (seen
// here: 0 bytes of 209 MB). So each caller unpacks into a private staging directory (as its
// own TMPDIR, in a child process: the package is an ES module and Jest's CommonJS runtime
// cannot load it) and renames the whole directory into place. rename(2) is atomic and fails
// when another process got there first, which then simply uses that one's copy.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Quiet: no calls home, no updates, no first-run UI. */
const QUIET_ARGS = [
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/**
 * Of the package's flags (made for one page per serverless call), those left out:
 * --single-process closes every browser context after the first; the package's
 * "--headless='shell'" is a shell idiom (Playwright passes its own --headless); and the two
 * that lift the same-origin and mixed-content rules would hide what a page must obey.
 */
const DROPPED_ARGS = [
  '--single-process',
  '--disable-web-security',
  '--allow-running-insecure-content',
];

function npmChromium({ tmpdir = os.tmpdir() } = {}) {
  // The package's exports name no package.json: go up from its entry point (build/index.js).
  const pkgDir = path.resolve(
    path.dirname(require.resolve('@sparticuz/chromium', { paths: [root] })),
    '..',
  );
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const target = path.join(tmpdir, `berth-chromium-${version}`);
  const done = path.join(target, '.complete');
  if (!fs.existsSync(done)) {
    const stage = fs.mkdtempSync(path.join(tmpdir, `berth-chromium-${version}-stage-`));
    try {
      const script = `import('@sparticuz/chromium').then(async ({ default: c }) => {
        c.setGraphicsMode = false;
        process.stdout.write(JSON.stringify({ path: await c.executablePath(), args: c.args }));
      }).catch((e) => { console.error(e); process.exit(1); });`;
      const unpack = spawnSync(process.execPath, ['-e', script], {
        cwd: root,
        env: { ...process.env, TMPDIR: stage },
        encoding: 'utf8',
        timeout: 180_000,
      });
      if (unpack.status !== 0)
        throw new Error(`could not unpack @sparticuz/chromium: ${unpack.stderr || unpack.error}`);
      const got = JSON.parse(unpack.stdout);
      if (path.dirname(got.path) !== stage)
        throw new Error(`@sparticuz/chromium unpacked to ${got.path}, not into ${stage}`);
      fs.writeFileSync(path.join(stage, 'args.json'), JSON.stringify(got.args));
      fs.writeFileSync(path.join(stage, '.complete'), '');
      try {
        fs.renameSync(stage, target);
      } catch (err) {
        // Another process renamed its copy into place first: use that one.
        if (!fs.existsSync(done)) throw err;
      }
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }
  const args = JSON.parse(fs.readFileSync(path.join(target, 'args.json'), 'utf8'));
  return {
    executablePath: path.join(target, 'chromium'),
    args: [
      ...args.filter((a) => !a.startsWith('--headless') && !DROPPED_ARGS.includes(a)),
      ...QUIET_ARGS,
    ],
    source: `@sparticuz/chromium ${version} (${target})`,
  };
}

module.exports = { npmChromium, QUIET_ARGS };

if (require.main === module) process.stdout.write(`${JSON.stringify(npmChromium())}\n`);
