import { existsSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { npmChromium, QUIET_ARGS } = require('../../scripts/chromium') as {
  npmChromium(o?: { tmpdir?: string }): BrowserChoice;
  QUIET_ARGS: string[];
};

/** How to launch Chromium for the browser tests: `playwright.chromium.launch(...)` options. */
export interface BrowserChoice {
  executablePath: string;
  args: string[];
  /** Where it came from, for the test's log. */
  source: string;
}

/** Flags for a system Chromium (`CHROMIUM=/usr/bin/chromium`): headless, no sandbox (root). */
const SYSTEM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET_ARGS];

/**
 * The browser for the tests: the one `CHROMIUM` names when it exists, else the Chromium that
 * the `@sparticuz/chromium` npm package ships (scripts/chromium.js; no system package needed).
 * A `CHROMIUM` that names nothing falls back to the npm browser, with a log line.
 */
export function chooseBrowser(log: (line: string) => void = console.log): BrowserChoice {
  const named = process.env.CHROMIUM;
  if (named && existsSync(named))
    return { executablePath: named, args: SYSTEM_ARGS, source: named };
  if (named)
    log(
      `CHROMIUM=${named} does not exist: using the Chromium of the @sparticuz/chromium npm package`,
    );
  return npmChromium();
}
