/// <reference lib="dom" />
/**
 * The dashboard's Job, CronJob and DaemonSet pages in a real headless Chromium against the
 * built API, a worker and one node agent with the `process` runtime (real pods): a Job runs
 * to Complete and its pod's log shows; a suspended CronJob shows its next run, is run by
 * hand and resumed; a DaemonSet shows one row per node. A viewer of the same tenant sees
 * none of the buttons that change things.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chooseBrowser } from './support/browser';
import { apiCall, createTenantUser, startCluster, type Cluster } from './support/cluster';
import { ROOT, waitFor, type JsonBody } from './support/processes';

jest.setTimeout(300_000);

const NS = 'batch-dev';
const NODE = 'batch-node-1';
const STEP_MS = 30_000;
/** A pod runs for real here: start, run and report can take a while on a loaded machine. */
const RUN_MS = 120_000;
/** The browser's zone; the CronJob's is Asia/Kolkata (neither has daylight saving time). */
const BROWSER_ZONE = 'Asia/Tokyo';
/** The README's screenshots (as e2e/dashboard.e2e-spec.ts writes its own). */
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

describe('the dashboard: Jobs, CronJobs and DaemonSets', () => {
  let cluster: Cluster;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const users = { admin: 'bea', viewer: 'vic' };
  const password = 'team-password-1';

  const call = (method: string, url: string, body?: unknown) => cluster.call(method, url, body);
  /** A merge patch (the admin's unless a token is given); answers the HTTP status. */
  const patch = async (url: string, body: unknown, token = cluster.api.token) =>
    (
      await fetch(`${cluster.api.httpUrl}${url}`, {
        method: 'PATCH',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/merge-patch+json',
        },
        body: JSON.stringify(body),
      })
    ).status;
  const batch = `/apis/batch/v1/namespaces/${NS}`;

  const container = (script: string) => ({
    name: 'main',
    image: 'busybox:1.36',
    command: ['/bin/sh', '-c', `: ${cluster.marker}; ${script}`],
  });

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'apps/admin/dist/index.html')))
      throw new Error('apps/admin/dist is missing: run `npm run build -w @berth/admin` first');
    mkdirSync(SHOTS, { recursive: true });
    cluster = await startCluster({ name: 'dashbatch', nodes: [NODE] });
    await createTenantUser(cluster.api, cluster.work, {
      username: users.admin,
      tenant: 'batch',
      namespaces: [NS],
    });
    await call('POST', '/auth/users', { username: users.viewer, password });
    const members = [
      { user: users.admin, role: 'tenant-admin' },
      { user: users.viewer, role: 'viewer' },
    ];
    expect(await patch('/apis/tenancy.berth.dev/v1/tenants/batch', { spec: { members } })).toBe(
      200,
    );
    await waitFor(async () => {
      const node = await call('GET', `/api/v1/nodes/${NODE}`);
      return (node.status?.conditions ?? []).some(
        (c: JsonBody) => c.type === 'Ready' && c.status === 'True',
      );
    }, `node ${NODE} to be Ready`);
    const choice = chooseBrowser();
    browser = await chromium.launch({
      executablePath: choice.executablePath,
      args: choice.args,
      headless: true,
      env: { ...process.env, TMPDIR: cluster.work },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await cluster?.stop();
  }, 60_000);

  async function signIn(username: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1360, height: 860 },
      timezoneId: BROWSER_ZONE,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    await page.goto(`${cluster.api.httpUrl}/ui/`);
    await page.locator('input[name=username]').fill(username);
    await page.locator('input[name=password]').fill(password);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByRole('heading', { name: 'Tenant quota' }).first().waitFor();
    return page;
  }

  const go = (page: Page, route: string) => page.goto(`${cluster.api.httpUrl}/ui/#/${route}`);
  const show = (page: Page, resource: string, name: string) =>
    go(page, `${resource}/${encodeURIComponent(`${NS}~${name}`)}/show`);
  /** The list row whose name link is `name`. */
  const row = (page: Page, name: string) =>
    page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });

  it('a Job reaches Complete in the list, shows its pod and log, and is deleted with its pods', async () => {
    const said = `hello from ${cluster.marker}`;
    await call('POST', `${batch}/jobs`, {
      metadata: { name: 'hello' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: { restartPolicy: 'Never', containers: [container(`echo '${said}'`)] },
        },
      },
    });
    const page = await signIn(users.admin);
    await go(page, 'jobs');
    const hello = row(page, 'hello');
    await hello.locator('[data-testid="job-status"]', { hasText: 'Complete' }).waitFor({
      timeout: RUN_MS,
    });
    expect(await hello.locator('[data-testid="job-completions"]').innerText()).toBe('1/1');

    await hello.getByRole('link', { name: 'hello', exact: true }).click();
    await page.getByRole('heading', { name: 'hello', exact: true }).waitFor();
    await page
      .locator('[data-testid="job-pods"] [data-testid="pod-status"]', {
        hasText: 'Completed',
      })
      .waitFor();
    expect(await page.locator('[data-testid="pod-exit-code"]').allInnerTexts()).toEqual(['0']);
    await page.locator('[data-testid="log-output"]', { hasText: said }).waitFor();
    await shot(page, 'job');

    const pods = async () =>
      (
        await call(
          'GET',
          `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent('batch.kubernetes.io/job-name=hello')}`,
        )
      ).items as JsonBody[];
    expect(await pods()).toHaveLength(1);
    await page.getByRole('button', { name: 'Delete' }).click();
    // Kubernetes orphans a Job's pods unless told otherwise: the dashboard says Background.
    const deleting = page.waitForRequest(
      (r) => r.method() === 'DELETE' && r.url().endsWith(`${batch}/jobs/hello`),
    );
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect((await deleting).postDataJSON()).toMatchObject({
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
    await waitFor(
      async () =>
        (await call('GET', `${batch}/jobs`)).items.length === 0 && (await pods()).length === 0,
      'the Job and its pod to be gone',
      RUN_MS,
    );
  });

  it('a suspended CronJob: next run in both zones, Run now makes a manual Job, Resume un-suspends', async () => {
    const cj = await call('POST', `${batch}/cronjobs`, {
      metadata: { name: 'nightly' },
      spec: {
        schedule: '30 4 * * *',
        timeZone: 'Asia/Kolkata',
        suspend: true,
        jobTemplate: {
          metadata: { labels: { app: 'nightly' } },
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [container('echo nightly')] },
            },
          },
        },
      },
    });
    // 04:30 in Kolkata (UTC+05:30) is 23:00 UTC, 08:00 in Tokyo (UTC+09:00) the next day.
    const next = new Date();
    next.setUTCHours(23, 0, 0, 0);
    if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
    const day = (shiftMinutes: number) =>
      new Date(next.getTime() + shiftMinutes * 60_000).toISOString().slice(0, 10);
    const tokyo = `${day(9 * 60)} 08:00 (${BROWSER_ZONE})`;
    const kolkata = `${day(5 * 60 + 30)} 04:30 Asia/Kolkata`;

    const page = await signIn(users.admin);
    await go(page, 'cronjobs');
    const nightly = row(page, 'nightly');
    await nightly.locator('[data-testid="cronjob-suspend"]', { hasText: 'Suspended' }).waitFor();
    expect(await nightly.locator('[data-testid="next-run-local"]').innerText()).toBe(tokyo);

    await show(page, 'cronjobs', 'nightly');
    await page.locator('[data-testid="cronjob-actions"][data-decided="true"]').waitFor();
    expect(await page.locator('[data-testid="next-run-zone"]').innerText()).toBe(kolkata);
    await page.getByText('No runs yet.').waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('[data-testid="job-runs"] a', { hasText: /^nightly-manual-/ }).waitFor();

    const jobs = (await call('GET', `${batch}/jobs`)).items as JsonBody[];
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job.metadata.name).toMatch(/^nightly-manual-[a-z0-9]{5}$/);
    expect(job.metadata.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
    });
    expect(job.metadata.labels).toMatchObject({ app: 'nightly' });
    expect(job.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cj.metadata.uid },
    ]);
    // The Job runs: its status shows in the runs table.
    await page
      .locator('[data-testid="job-runs"] [data-testid="job-status"]', {
        hasText: 'Complete',
      })
      .waitFor({ timeout: RUN_MS });
    await shot(page, 'cronjob');

    await page.getByRole('button', { name: 'Resume' }).click();
    await waitFor(
      async () => (await call('GET', `${batch}/cronjobs/nightly`)).spec.suspend === false,
      'spec.suspend to be false',
      STEP_MS,
    );
    await page.getByRole('button', { name: 'Suspend' }).waitFor();
    await page.locator('[data-testid="cronjob-suspend"]', { hasText: 'Active' }).waitFor();
  });

  it('a DaemonSet shows one row per node: its pod Running on the matching node, why not on the other', async () => {
    // A second node the DaemonSet's node selector leaves out (a Node object, no agent).
    await call('POST', '/api/v1/nodes', {
      metadata: { name: 'batch-ghost', labels: { 'kubernetes.io/hostname': 'batch-ghost' } },
    });
    await call('POST', `/apis/apps/v1/namespaces/${NS}/daemonsets`, {
      metadata: { name: 'agentd' },
      spec: {
        selector: { matchLabels: { app: 'agentd' } },
        template: {
          metadata: { labels: { app: 'agentd' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': NODE },
            terminationGracePeriodSeconds: 1,
            containers: [container('sleep 3600')],
          },
        },
      },
    });
    const page = await signIn(users.admin);
    await go(page, 'daemonsets');
    await row(page, 'agentd')
      .locator('[data-testid="daemonset-ready"]', { hasText: '1/1' })
      .waitFor({ timeout: RUN_MS });

    await show(page, 'daemonsets', 'agentd');
    const rows = page.locator('[data-testid="daemonset-nodes"] tbody tr');
    await rows
      .and(page.locator(`[data-node="${NODE}"]`))
      .locator('[data-testid="pod-status"]', { hasText: 'Running' })
      .waitFor({ timeout: RUN_MS });
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node')))).toEqual([
      'batch-ghost',
      NODE,
    ]);
    expect(
      await page.locator(`[data-node="batch-ghost"] [data-testid="why-not"]`).innerText(),
    ).toBe(`node labels do not match the node selector kubernetes.io/hostname=${NODE}`);
    expect(await page.locator(`[data-node="${NODE}"] [data-testid="should-run"]`).innerText()).toBe(
      'yes',
    );
    await shot(page, 'daemonset');
  });

  it('a viewer of the tenant sees the pages but no Run now, Suspend, Resume or Delete', async () => {
    const page = await signIn(users.viewer);
    await show(page, 'cronjobs', 'nightly');
    await page.locator('[data-testid="cronjob-actions"][data-decided="true"]').waitFor();
    await page.locator('[data-testid="next-run-zone"]').waitFor();
    for (const name of ['Run now', 'Suspend', 'Resume', 'Delete'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    // The page works for them: the run made by hand is listed.
    await page.locator('[data-testid="job-runs"] a', { hasText: /^nightly-manual-/ }).waitFor();
    // And a viewer's own attempt is refused by the API, not just hidden.
    const { token } = await apiCall(cluster.api, 'POST', '/auth/login', {
      username: users.viewer,
      password,
    });
    expect(await patch(`${batch}/cronjobs/nightly`, { spec: { suspend: true } }, token)).toBe(403);
  });

  it('Drain on the Nodes page evicts through the eviction API: it waits on a budget, then evicts', async () => {
    const labels = { app: 'drained' };
    await call('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
      metadata: { name: 'drained' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { terminationGracePeriodSeconds: 1, containers: [container('sleep 600')] },
        },
      },
    });
    const webPods = async () =>
      (
        (await call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Ddrained`))
          .items as JsonBody[]
      ).filter((p) => !p.metadata.deletionTimestamp);
    await waitFor(
      async () =>
        (await webPods()).filter(
          (p) =>
            p.spec.nodeName === NODE &&
            (p.status?.conditions ?? []).some(
              (c: JsonBody) => c.type === 'Ready' && c.status === 'True',
            ),
        ).length === 1,
      'the pod of the Deployment Ready',
      RUN_MS,
    );
    const before = (await webPods()).map((p) => p.metadata.uid as string).sort();
    const pdbs = `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`;
    await call('POST', pdbs, {
      metadata: { name: 'drained' },
      spec: { minAvailable: 1, selector: { matchLabels: labels } },
    });
    await waitFor(
      async () => {
        const s = (await call('GET', `${pdbs}/drained`)).status ?? {};
        return s.currentHealthy === 1 && s.disruptionsAllowed === 0;
      },
      'the budget to count 1 healthy pod and allow no disruption',
      STEP_MS,
    );

    await call('POST', '/auth/users', { username: 'ops', password, clusterAdmin: true });
    const page = await signIn('ops');
    await go(page, 'nodes');
    const nodeRow = page.locator('tbody tr', { hasText: NODE });
    await nodeRow.getByRole('button', { name: 'Drain' }).click();
    // The budget refuses: the page names the pods it waits on and the budget's reason.
    await nodeRow
      .locator('[data-testid="drain-status"]', {
        hasText: /waiting on batch-dev\/drained-.*disruption budget/,
      })
      .waitFor();
    expect((await call('GET', `/api/v1/nodes/${NODE}`)).spec.unschedulable).toBe(true);
    expect((await webPods()).map((p) => p.metadata.uid).sort()).toEqual(before);

    // The budget relents: the retry evicts the pod, and the page says so.
    await patch(`${pdbs}/drained`, { spec: { minAvailable: 0 } });
    await page.getByText(/batch-node-1 drained: 1 pods evicted/).waitFor({ timeout: RUN_MS });
    const after = (await webPods()).map((p) => p.metadata.uid as string);
    expect(after.filter((uid) => before.includes(uid))).toEqual([]);
    await patch(`/api/v1/nodes/${NODE}`, { spec: { unschedulable: null } });
  });
});
