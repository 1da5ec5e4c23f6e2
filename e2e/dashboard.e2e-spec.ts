/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  kubectl,
  ROOT,
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type WorkerProcess,
} from './support/processes';
import { openDashboard, STEP_MS, type Dashboard } from './support/dashboard';

// The dashboard (apps/admin, built into apps/admin/dist and served by the API at /ui)
// driven in a real headless Chromium against a real API server, worker, PostgreSQL and
// Redis, with the demo tenants team-a and team-b seeded as `npm start` seeds them. When
// the node agent is part of the build, a simulated node runs the pods; without it the
// pods stay Pending and the dashboard must say why (the scheduler's reason).

const SHOTS = path.join(ROOT, 'docs', 'screenshots');
/** A whole scenario, generous for a loaded 2-core machine (each takes 5–15 s idle). */
const SCENARIO_MS = 120_000;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: { cpu: 100m, memory: 64Mi }
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports:
    - port: 80
`;

/**
 * The node agent's --help when this build has one with the simulated runtime (apps/agent),
 * else undefined.
 */
function agentHelp(): string | undefined {
  const main = path.join(ROOT, 'apps/agent/dist/main.js');
  if (!existsSync(main)) return undefined;
  const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8', timeout: 10_000 });
  const ok = help.status === 0 && /--runtime/.test(help.stdout) && /simulated/.test(help.stdout);
  return ok ? help.stdout : undefined;
}

async function adminCall(
  api: ApiProcess,
  method: string,
  url: string,
  body?: unknown,
): Promise<any> {
  const res = await fetch(`${api.httpUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('the dashboard in a real browser', () => {
  let api: ApiProcess;
  let worker: WorkerProcess;
  let agent: ChildProcess | undefined;
  let agentOut = '';
  let dash: Dashboard;
  let work: string;
  let withAgent = false;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-dashboard-'));
    mkdirSync(SHOTS, { recursive: true });
    api = await startApiProcess();
    worker = await startWorkerProcess(
      api.db.url,
      `berth-e2e-${path.basename(api.dataDir)}`,
      'dashboard-worker',
    );
    const help = agentHelp();
    withAgent = help !== undefined;
    if (withAgent) {
      // Keep the test to itself: any free port for the agent's log server, no service proxy.
      const isolation = [
        ...(help!.includes('--kubelet-port') ? ['--kubelet-port', '0'] : []),
        ...(help!.includes('--no-proxy') ? ['--no-proxy'] : []),
      ];
      const boot = await adminCall(api, 'POST', '/auth/bootstrap-tokens', { name: 'e2e' });
      agent = spawn(
        process.execPath,
        [
          path.join(ROOT, 'apps/agent/dist/main.js'),
          '--api-url',
          api.httpUrl,
          '--bootstrap-token',
          boot.token,
          '--node-name',
          'node-1',
          '--runtime',
          'simulated',
          '--cpu',
          '8',
          '--memory',
          '16Gi',
          '--data-dir',
          path.join(work, 'agent'),
          '--log-level',
          'warn',
          ...isolation,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      agent.stdout!.on('data', (d) => (agentOut += d));
      agent.stderr!.on('data', (d) => (agentOut += d));
      await waitFor(async () => {
        const nodes = await adminCall(api, 'GET', '/api/v1/nodes');
        return nodes.items.length === 1;
      }, `the node agent to register (output: ${agentOut})`);
    }
    dash = await openDashboard(api, work);
  }, 120_000);

  afterAll(async () => {
    await dash?.close();
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      const timer = setTimeout(() => agent!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await worker?.stop();
    await api?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const signIn = (username: string, password?: string) => dash.signIn(username, password);
  const scenario = (name: string, run: () => Promise<void>) => dash.scenario(name, run);

  const go = (page: Page, route: string) => dash.go(page, route);

  /** Waits until exactly `n` elements match (with exactly `text`, when given). */
  async function rowCount(page: Page, selector: string, n: number, text?: string): Promise<void> {
    await page.waitForFunction(
      ([s, want, t]) =>
        [...document.querySelectorAll(s as string)].filter(
          (e) => t === undefined || e.textContent === t,
        ).length === want,
      [selector, n, text] as const,
      { timeout: STEP_MS },
    );
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }

  async function quotaText(page: Page, tenant: string, resource: string): Promise<string> {
    return page
      .locator(
        `[data-testid="tenant-${tenant}"] [data-testid="quota-${resource}"] [data-testid="quota-text"]`,
      )
      .innerText();
  }

  it(
    'team-a developer: sees only team-a, creates a Deployment from YAML, watches its pods, scales it, reads logs',
    async () =>
      scenario('developer', async () => {
        const page = await signIn('dave');
        await page.locator('[data-testid="tenant-team-a"]').waitFor();
        expect(await page.locator('[data-testid="tenant-team-b"]').count()).toBe(0);

        await go(page, 'namespaces');
        await page.getByRole('cell', { name: 'team-a-dev' }).waitFor();
        await page.getByRole('cell', { name: 'team-b-dev' }).waitFor({ state: 'detached' });
        expect(await page.locator('tbody tr').allInnerTexts()).toEqual([
          expect.stringContaining('team-a-dev'),
        ]);
        // A developer may not create namespaces: the button is not there.
        await page.locator('[data-testid="list-actions"][data-decided="true"]').waitFor();
        expect(await page.getByRole('link', { name: /^create$/i }).count()).toBe(0);

        await go(page, 'deployments/create');
        await page.getByRole('tab', { name: 'YAML' }).click();
        await page.locator('[data-testid="yaml-input"]').fill(DEPLOYMENT);
        await page.getByRole('button', { name: 'Create from YAML' }).click();
        await page.getByRole('heading', { name: 'web', exact: true }).waitFor();
        await rowCount(page, '[data-testid="pod-table"] tbody tr', 2);
        if (withAgent) {
          await rowCount(
            page,
            '[data-testid="pod-table"] [data-testid="pod-status"]',
            2,
            'Running',
          );
          await page.getByText(/^Complete: 2 of 2 available/).waitFor();
        } else {
          // No node agent in this build: the pods wait, and the scheduler says why.
          await page
            .locator('[data-testid="pod-reason"]', { hasText: /nodes? (are )?available/ })
            .first()
            .waitFor();
        }

        await page.locator('[data-testid="scale-input"]').fill('3');
        await page.getByRole('button', { name: 'Scale' }).click();
        await rowCount(page, '[data-testid="pod-table"] tbody tr', 3);
        if (withAgent)
          await page.locator('[data-testid="deployment-ready"]', { hasText: '3/3' }).waitFor();

        // A pod of the steady Deployment, from its page: status, events, logs.
        await page.locator('[data-testid="pod-table"] tbody tr a').first().click();
        await page.getByRole('heading', { name: 'Logs' }).waitFor();
        // The log viewer follows GET …/pods/{name}/log?follow=true once the container has
        // started. Where this API build does not serve logs yet, it shows the API's Status
        // message as written.
        if (!withAgent) {
          await page.locator('[data-testid="log-waiting"]').waitFor();
        } else {
          await page
            .locator('[data-testid="pod-status"]', { hasText: 'Running' })
            .first()
            .waitFor();
          const podName = (await page.locator('[data-testid="pod-name"]').innerText()).trim();
          const direct = await fetch(
            `${api.httpUrl}/api/v1/namespaces/team-a-dev/pods/${podName}/log`,
            { headers: { Authorization: `Bearer ${api.token}` } },
          );
          if (direct.ok) {
            await page.waitForFunction(
              () =>
                (document.querySelector('[data-testid="log-output"]')?.textContent ?? '').length >
                20,
              undefined,
              { timeout: STEP_MS },
            );
          } else {
            const status = (await direct.json()) as { message: string };
            await page.locator('[data-testid="log-error"]', { hasText: status.message }).waitFor();
          }
        }
        await shot(page, 'pod-logs');
        await go(page, 'pods');
        await page.locator('tbody tr', { hasText: 'web-' }).first().waitFor();
        // The Service from the same YAML: its endpoints are the ready pods.
        await go(page, 'services/team-a-dev~web/show');
        await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
        if (withAgent) await rowCount(page, '[data-testid="endpoint-ready"]', 3);
        else await page.getByText(/^No endpoints/).waitFor();
        await go(page, 'deployments/team-a-dev~web/show');
        await page.getByRole('heading', { name: 'web', exact: true }).waitFor();

        // Edit the image (a new revision), then roll back to the previous one.
        await page.getByRole('button', { name: 'Edit' }).click();
        await page.getByLabel('Image of web').fill('nginx:1.28');
        await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
        await page.getByText(/^Images: nginx:1\.28 /).waitFor();
        await rowCount(page, '[data-testid="revisions"] tbody tr', 2);
        await page.getByRole('button', { name: 'Roll back' }).click();
        await page.getByText(/^Images: nginx:1\.27 /).waitFor();
        await page
          .locator('[data-testid="revisions"] tbody tr', { hasText: 'current' })
          .filter({ hasText: 'nginx:1.27' })
          .waitFor();

        // A paused Deployment is not rolled back: the dashboard refuses as kubectl does.
        const webUrl = '/apis/apps/v1/namespaces/team-a-dev/deployments/web';
        const setPaused = (paused: boolean) =>
          waitFor(
            async () => {
              const d = await adminCall(api, 'GET', webUrl);
              // A 409 (the controller wrote status in between) is retried.
              await adminCall(api, 'PUT', webUrl, { ...d, spec: { ...d.spec, paused } });
              return true;
            },
            `web to be ${paused ? 'paused' : 'resumed'}`,
            STEP_MS,
          );
        await setPaused(true);
        await page.getByText(/^Images: nginx:1\.27 .* · Paused$/).waitFor();
        await page.getByRole('button', { name: 'Roll back' }).click();
        await page
          .getByText(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
          )
          .waitFor();
        const paused = await adminCall(api, 'GET', webUrl);
        expect(paused.spec.template.spec.containers[0].image).toBe('nginx:1.27');
        await setPaused(false);
        await page.getByText(/ · Paused$/).waitFor({ state: 'detached' });

        await go(page, 'deployments');
        await page.getByRole('cell', { name: 'web' }).waitFor();
        await shot(page, 'deployments');

        await page.goto(`${api.httpUrl}/ui/#/`);
        await page.locator('[data-testid="tenant-team-a"]').waitFor();
        // The tenant's pod bar counts what the API counts (a stalled rollout without a node
        // agent keeps a surge pod, so the number is read from the API, not assumed).
        await waitFor(
          async () => {
            const pods = await adminCall(api, 'GET', '/api/v1/namespaces/team-a-dev/pods');
            const live = pods.items.filter((p: any) => !p.metadata.deletionTimestamp).length;
            return (await quotaText(page, 'team-a', 'pods')).startsWith(`${live} /`);
          },
          'the overview to show the pods team-a uses',
          STEP_MS,
        );
        await shot(page, 'overview');
      }),
    SCENARIO_MS,
  );

  it(
    'team-a admin: creates a ConfigMap and a Secret; the Secret value is in the page only once revealed, and the reveal is audited',
    async () =>
      scenario('config-secrets', async () => {
        const page = await signIn('alice');
        const pickNamespace = async () => {
          await page.getByLabel('Namespace').click();
          await page.getByRole('option', { name: 'team-a-dev' }).click();
        };
        await go(page, 'configmaps/create');
        await pickNamespace();
        await page.locator('input[name=name]').fill('app-config');
        await page.getByRole('button', { name: 'Add' }).click();
        await page.locator('input[name="pairs.0.key"]').fill('LOG_LEVEL');
        await page.locator('textarea[name="pairs.0.value"]').fill('debug-verbose');
        await page.getByRole('button', { name: 'Save' }).click();
        await page
          .locator('[data-testid="configmap-data"]', { hasText: 'debug-verbose' })
          .waitFor();
        const cm = await adminCall(
          api,
          'GET',
          '/api/v1/namespaces/team-a-dev/configmaps/app-config',
        );
        expect(cm.data).toEqual({ LOG_LEVEL: 'debug-verbose' });

        const plaintext = 'pa55-w0rd-only-on-reveal';
        await go(page, 'secrets/create');
        await pickNamespace();
        await page.locator('input[name=name]').fill('db-creds');
        await page.getByRole('button', { name: 'Add' }).click();
        await page.locator('input[name="pairs.0.key"]').fill('password');
        await page.locator('input[name="pairs.0.value"]').fill(plaintext);
        await page.getByRole('button', { name: 'Save' }).click();
        const cell = page.locator('[data-testid="secret-value-password"]');
        await cell.filter({ hasText: '••••••' }).waitFor();
        // Stored base64-encoded, as Kubernetes keeps it.
        const stored = await adminCall(
          api,
          'GET',
          '/api/v1/namespaces/team-a-dev/secrets/db-creds',
        );
        expect(Buffer.from(stored.data.password, 'base64').toString()).toBe(plaintext);
        const html = () => page.evaluate(() => document.documentElement.outerHTML);
        expect(await html()).not.toContain(plaintext);
        expect(await html()).not.toContain(Buffer.from(plaintext).toString('base64'));
        await go(page, 'secrets');
        await page.getByRole('cell', { name: 'db-creds' }).waitFor();
        expect(await html()).not.toContain(plaintext);
        await page.getByRole('link', { name: 'db-creds' }).click();
        await cell.filter({ hasText: '••••••' }).waitFor();
        await page.getByRole('button', { name: 'Reveal password' }).click();
        await cell.filter({ hasText: plaintext }).waitFor();

        // The reveal is on the trail: alice read secrets/db-creds (verb get).
        const revealed = page
          .locator('tr')
          .filter({ has: page.getByRole('cell', { name: 'alice', exact: true }) })
          .filter({ has: page.getByRole('cell', { name: 'get', exact: true }) })
          .filter({ has: page.getByRole('cell', { name: 'secrets/db-creds', exact: true }) });
        const deadline = Date.now() + STEP_MS;
        for (;;) {
          await go(page, 'audit');
          await page.getByRole('cell', { name: 'alice' }).first().waitFor();
          if ((await revealed.count()) > 0) break;
          if (Date.now() > deadline) throw new Error('the reveal never reached the audit trail');
          await page.reload();
        }
        expect(await revealed.count()).toBe(1);
      }),
    SCENARIO_MS,
  );

  it(
    'team-a admin: creates a namespace, files a quota request, creates a token, downloads a kubeconfig that kubectl uses',
    async () =>
      scenario('tenant-admin', async () => {
        const page = await signIn('alice');
        await go(page, 'namespaces/create');
        await page.locator('input[name=name]').fill('team-a-staging');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('team-a-staging').first().waitFor();
        // Its share of the tenant budget: a namespace quota, shown as bars.
        await page.getByRole('button', { name: 'Set a quota' }).click();
        await page.getByLabel('requests.cpu').fill('1');
        await page.getByLabel('pods').fill('5');
        await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
        await page.locator('[data-testid="quota-pods"]', { hasText: '0 / 5' }).waitFor();
        await go(page, 'namespaces');
        await page.getByRole('cell', { name: 'team-a-staging' }).waitFor();

        await go(page, 'quotarequests/create');
        await page.locator('input[name=cpu]').fill('8');
        await page.locator('textarea[name=reason]').fill('Black Friday load test');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('cell', { name: 'Black Friday load test' }).waitFor();
        await page.locator('[data-testid="qr-phase"]', { hasText: 'Pending' }).waitFor();
        // Deciding is for cluster admins: a tenant admin gets no Approve button.
        expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

        await go(page, 'access');
        await page.getByRole('button', { name: 'Create API token' }).click();
        await page.locator('[data-testid="token-name"]').fill('ci');
        await page.getByRole('button', { name: 'Create', exact: true }).click();
        const token = await page.locator('[data-testid="new-token"]').inputValue();
        expect(token.length).toBeGreaterThan(20);
        await page.getByRole('button', { name: 'Done' }).click();
        await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();

        const download = page.waitForEvent('download');
        await page.getByRole('button', { name: 'Download kubeconfig' }).click();
        const file = path.join(work, 'alice.kubeconfig');
        await (await download).saveAs(file);
        expect(readFileSync(file, 'utf8')).toContain(
          `server: https://127.0.0.1:${new URL(api.url).port}`,
        );
        const ns = kubectl(file, path.join(work, 'kubecache'), ['get', 'ns', '-o', 'name']);
        expect(ns).toMatchObject({ code: 0 });
        expect(ns.stdout.trim().split('\n').sort()).toEqual([
          'namespace/team-a-dev',
          'namespace/team-a-staging',
        ]);
        const who = kubectl(file, path.join(work, 'kubecache'), [
          'auth',
          'whoami',
          '-o',
          'jsonpath={.status.userInfo.username}',
        ]);
        expect(who.stdout).toBe('alice');

        // Delete the new namespace (with confirmation): it goes, through Terminating.
        await go(page, 'namespaces');
        await page
          .locator('tbody tr', { hasText: 'team-a-staging' })
          .getByRole('button', { name: 'Delete' })
          .click();
        await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
        await page.getByRole('cell', { name: 'team-a-staging' }).waitFor({ state: 'detached' });
        await page.getByRole('cell', { name: 'team-a-dev' }).waitFor();
      }),
    SCENARIO_MS,
  );

  it(
    'cluster admin: approves the quota request and sees the tenant bars change',
    async () =>
      scenario('cluster-admin', async () => {
        const page = await signIn('admin', dash.passwords.adminPassword);
        await page.locator('[data-testid="tenant-team-a"]').waitFor();
        expect(await quotaText(page, 'team-a', 'requests.cpu')).toMatch(/ \/ 4\b/);

        await go(page, 'quotarequests');
        const row = page.locator('tbody tr', { hasText: 'Black Friday load test' });
        await row.getByRole('button', { name: 'Approve' }).waitFor();
        await shot(page, 'quota-requests');
        await row.getByRole('button', { name: 'Approve' }).click();
        await row.locator('[data-testid="qr-phase"]', { hasText: 'Approved' }).waitFor();
        // The queue: filtered to what is still pending, it is empty now.
        await page.getByLabel('Phase').click();
        await page.getByRole('option', { name: 'Pending' }).click();
        await page.getByText('No quota requests.').waitFor();

        await page.goto(`${api.httpUrl}/ui/#/`);
        await page.waitForFunction(
          () =>
            / \/ 8\b/.test(
              document.querySelector(
                '[data-testid="tenant-team-a"] [data-testid="quota-requests.cpu"] [data-testid="quota-text"]',
              )?.textContent ?? '',
            ),
          undefined,
          { timeout: STEP_MS },
        );
        await page.locator('[data-testid="tenant-team-b"]').waitFor();
        // The tenant switcher narrows the views to one tenant.
        await page.locator('[data-testid="tenant-switcher"]').click();
        await page.getByRole('option', { name: 'Team A' }).click();
        await page.locator('[data-testid="tenant-team-b"]').waitFor({ state: 'detached' });
        await page.locator('[data-testid="tenant-team-a"]').waitFor();
        await page.locator('[data-testid="tenant-switcher"]').click();
        await page.getByRole('option', { name: 'All tenants' }).click();

        // Suspend team-b (its members could then only read), then resume it.
        await go(page, 'tenants');
        const teamB = page.locator('tbody tr', { hasText: 'team-b' });
        await teamB.getByRole('button', { name: 'Suspend' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
        await teamB.getByText('Suspended').waitFor();
        await teamB.getByRole('button', { name: 'Resume' }).click();
        await teamB.getByText('Active').waitFor();

        await go(page, 'nodes');
        if (withAgent) await page.getByRole('cell', { name: 'node-1' }).waitFor();
        else await page.getByText('No nodes have registered').waitFor();
        await shot(page, 'nodes');
      }),
    SCENARIO_MS,
  );

  it(
    'team-a viewer: a wrong password gets the API message; signed in, sees but gets no buttons to change',
    async () =>
      scenario('viewer', async () => {
        const login = await dash.newPage();
        await login.locator('input[name=username]').fill('vera');
        await login.locator('input[name=password]').fill('not-the-password');
        await login.getByRole('button', { name: /sign in/i }).click();
        await login.getByText('Unauthorized: invalid username or password').waitFor();

        const page = await signIn('vera');
        await go(page, 'deployments');
        await page.getByRole('cell', { name: 'web' }).waitFor();
        await page.locator('[data-testid="list-actions"][data-decided="true"]').waitFor();
        expect(await page.getByRole('link', { name: /^create$/i }).count()).toBe(0);
        await go(page, 'deployments/team-a-dev~web/show');
        await page.locator('[data-testid="pod-table"]').waitFor();
        await page.locator('[data-testid="deployment-actions"][data-decided="true"]').waitFor();
        for (const name of ['Scale', 'Edit', 'Restart', 'Roll back', 'Delete'])
          expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
      }),
    SCENARIO_MS,
  );

  it(
    "team-b cannot reach team-a's pages by URL",
    async () =>
      scenario('team-b', async () => {
        const page = await signIn('bob');
        await page.locator('[data-testid="tenant-team-b"]').waitFor();
        expect(await page.locator('[data-testid="tenant-team-a"]').count()).toBe(0);

        // Another tenant's objects do not exist for bob: the API's message is shown as written.
        await go(page, 'deployments/team-a-dev~web/show');
        await page.getByText('deployments.apps "web" not found').first().waitFor();
        expect(await page.getByRole('heading', { name: 'web', exact: true }).count()).toBe(0);

        await go(page, 'namespaces/team-a-dev/show');
        await page.getByText('namespaces "team-a-dev" not found').first().waitFor();

        await go(page, 'pods');
        await page.getByText('No pods.').waitFor();
        await go(page, 'namespaces');
        await page.getByRole('cell', { name: 'team-b-dev' }).waitFor();
        expect(await page.locator('tbody tr').allInnerTexts()).toEqual([
          expect.stringContaining('team-b-dev'),
        ]);
      }),
    SCENARIO_MS,
  );
});
