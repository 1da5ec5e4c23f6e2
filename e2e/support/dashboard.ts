/// <reference lib="dom" />
/**
 * The dashboard in a real headless Chromium, for the e2e files that drive it: the demo
 * tenants seeded as `npm start` seeds them (team-a: alice tenant-admin, dave developer,
 * vera viewer), a browser, sign-in through the login form, and screenshots of every open
 * page when a scenario fails.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chooseBrowser } from './browser';
import { ROOT, type ApiProcess } from './processes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seedDemo } = require('../../scripts/seed-demo') as {
  seedDemo(o: {
    httpUrl: string;
    adminToken: string;
    dataDir: string;
    adminKubeconfig: string;
  }): Promise<{ adminPassword: string; demoPassword: string }>;
};

/** One step in the browser, generous for a loaded 2-core machine. */
export const STEP_MS = 30_000;

export interface Dashboard {
  browser: Browser;
  passwords: { adminPassword: string; demoPassword: string };
  /** A fresh browser session at the login page (closed by `close`). */
  newPage(): Promise<Page>;
  /** A fresh browser session signed in through the login form. */
  signIn(username: string, password?: string): Promise<Page>;
  /** Runs a scenario; on failure, saves what each open page showed (the path is in the error). */
  scenario(name: string, run: () => Promise<void>): Promise<void>;
  /** Opens a dashboard route (`configmaps/ns~name/show`). */
  go(page: Page, route: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Seeds the demo into `api`, launches the browser (its temp files in `work`). */
export async function openDashboard(api: ApiProcess, work: string): Promise<Dashboard> {
  if (!existsSync(path.join(ROOT, 'apps/admin/dist/index.html')))
    throw new Error('apps/admin/dist is missing: run `npm run build` first (npm test does)');
  const passwords = await seedDemo({
    httpUrl: api.httpUrl,
    adminToken: api.token,
    dataDir: api.dataDir,
    adminKubeconfig: api.kubeconfig,
  });
  const choice = chooseBrowser();
  console.log(`dashboard e2e: browser ${choice.source}`);
  const browser = await chromium.launch({
    executablePath: choice.executablePath,
    args: choice.args,
    headless: true,
    env: { ...process.env, TMPDIR: work },
  });
  const contexts: BrowserContext[] = [];
  const newPage = async () => {
    const context = await browser.newContext({
      viewport: { width: 1360, height: 860 },
      acceptDownloads: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    await page.goto(`${api.httpUrl}/ui/`);
    return page;
  };
  return {
    browser,
    passwords,
    newPage,
    async signIn(username, password = passwords.demoPassword) {
      const page = await newPage();
      await page.locator('input[name=username]').fill(username);
      await page.locator('input[name=password]').fill(password);
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.getByRole('heading', { name: 'Tenant quota' }).first().waitFor();
      return page;
    },
    async scenario(name, run) {
      try {
        await run();
      } catch (err) {
        const shots: string[] = [];
        for (const [i, p] of contexts.flatMap((c) => c.pages()).entries()) {
          const file = path.join(os.tmpdir(), `berth-dashboard-failure-${name}-${i}.png`);
          if (
            await p.screenshot({ path: file }).then(
              () => true,
              () => false,
            )
          )
            shots.push(file);
        }
        (err as Error).message += `\nscreenshots: ${shots.join(', ')}`;
        throw err;
      }
    },
    go: (page, route) => page.goto(`${api.httpUrl}/ui/#/${route}`),
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}
