/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { startCluster, type Cluster } from './support/cluster';
import { openDashboard, STEP_MS, type Dashboard } from './support/dashboard';
import { waitFor } from './support/processes';

// Editing ConfigMaps and Secrets and requesting ServiceAccount tokens in the dashboard, in a
// real headless Chromium against the built API and worker: what the UI saves is read back
// through the API, a Secret's values stay out of the page unless revealed, and a token taken
// from the dialog authenticates as the account.

const NS = 'team-a-dev';
const SCENARIO_MS = 120_000;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();

describe('dashboard: editing config and service account tokens', () => {
  let cluster: Cluster;
  let dash: Dashboard;
  const cmUrl = (name: string) => `/api/v1/namespaces/${NS}/configmaps/${name}`;
  const secretUrl = `/api/v1/namespaces/${NS}/secrets/api-creds`;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'dashcfg' });
    dash = await openDashboard(cluster.api, cluster.work);
    const cms = `/api/v1/namespaces/${NS}/configmaps`;
    await cluster.call('POST', cms, {
      metadata: { name: 'app-settings' },
      data: { GREETING: 'hello', OLD_NAME: 'kept-value', DROP_ME: 'gone' },
    });
    await cluster.call('POST', cms, {
      metadata: { name: 'frozen' },
      data: { A: 'one' },
      immutable: true,
    });
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'api-creds' },
      data: { user: b64('svc-user-17'), token: b64('t0ken-old-value') },
    });
  }, 180_000);

  afterAll(async () => {
    await dash?.close();
    await cluster?.stop();
  }, 60_000);

  /** The index of the editor row whose key field holds `key` (rows are `pairs.<i>`). */
  async function rowOf(page: Page, key: string): Promise<number> {
    await page.locator('input[name$=".key"]').first().waitFor();
    const keys = await page
      .locator('input[name^="pairs."][name$=".key"]')
      .evaluateAll((els) =>
        els.map((e) => [e.getAttribute('name'), (e as HTMLInputElement).value]),
      );
    const hit = keys.find(([, v]) => v === key);
    if (!hit) throw new Error(`no editor row for key ${key}: ${JSON.stringify(keys)}`);
    return Number(hit[0]!.split('.')[1]);
  }

  const html = (page: Page) => page.evaluate(() => document.documentElement.outerHTML);

  it(
    'a tenant admin edits a ConfigMap: a value, a renamed key, a removed key, a new key, all read back from the API',
    () =>
      dash.scenario('configmap-edit', async () => {
        const page = await dash.signIn('alice');
        await dash.go(page, `configmaps/${NS}~app-settings/show`);
        await page
          .locator('[data-testid="configmap-value-GREETING"]', { hasText: 'hello' })
          .waitFor();
        await page.getByRole('link', { name: 'Edit' }).click();

        await page.getByRole('button', { name: 'Add' }).click();
        const added = await page.locator('input[name^="pairs."][name$=".key"]').count();
        await page.locator(`input[name="pairs.${added - 1}.key"]`).fill('ADDED');
        await page.locator(`textarea[name="pairs.${added - 1}.value"]`).fill('fresh');
        await page
          .locator(`textarea[name="pairs.${await rowOf(page, 'GREETING')}.value"]`)
          .fill('bonjour');
        await page
          .locator(`input[name="pairs.${await rowOf(page, 'OLD_NAME')}.key"]`)
          .fill('NEW_NAME');
        const drop = await rowOf(page, 'DROP_ME');
        // The iterator's remove button of that row (an icon button named by its tooltip).
        await page.locator(`.button-remove-pairs-${drop}`).click();
        await page.locator(`input[name="pairs.${added - 1}.key"]`).waitFor({ state: 'detached' });
        await page.getByRole('button', { name: 'Save' }).click();

        await page
          .locator('[data-testid="configmap-value-GREETING"]', { hasText: 'bonjour' })
          .waitFor();
        const cm = await cluster.call('GET', cmUrl('app-settings'));
        expect(cm.data).toEqual({ GREETING: 'bonjour', NEW_NAME: 'kept-value', ADDED: 'fresh' });
      }),
    SCENARIO_MS,
  );

  it(
    'a change made meanwhile is a conflict the page explains; nothing is overwritten, Reload shows the current data',
    () =>
      dash.scenario('configmap-conflict', async () => {
        const page = await dash.signIn('alice');
        await dash.go(page, `configmaps/${NS}~app-settings/edit`);
        const greeting = page.locator(
          `textarea[name="pairs.${await rowOf(page, 'GREETING')}.value"]`,
        );
        // Someone else writes the ConfigMap after the page loaded it.
        const current = await cluster.call('GET', cmUrl('app-settings'));
        expect(await greeting.inputValue()).toBe(current.data.GREETING);
        await cluster.call('PUT', cmUrl('app-settings'), {
          ...current,
          data: { ...current.data, GREETING: 'changed-by-admin' },
        });
        await greeting.fill('from-the-page');
        await page.getByRole('button', { name: 'Save' }).click();
        const conflict = page.locator('[data-testid="edit-conflict"]');
        await conflict.waitFor();
        expect(await conflict.innerText()).toMatch(/changed by someone else .* nothing was saved/);
        expect((await cluster.call('GET', cmUrl('app-settings'))).data.GREETING).toBe(
          'changed-by-admin',
        );
        await conflict.getByRole('button', { name: 'Reload' }).click();
        await waitFor(
          async () => (await greeting.inputValue()) === 'changed-by-admin',
          'the editor to show the current value after Reload',
          STEP_MS,
        );
      }),
    SCENARIO_MS,
  );

  it(
    'an immutable ConfigMap: no Edit button, and its edit page is read-only with a note and no Save',
    () =>
      dash.scenario('immutable', async () => {
        const page = await dash.signIn('alice');
        await dash.go(page, `configmaps/${NS}~frozen/show`);
        await page.locator('[data-testid="immutable-chip"]').waitFor();
        expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
        await dash.go(page, `configmaps/${NS}~frozen/edit`);
        await page.locator('[data-testid="immutable-note"]').waitFor();
        await page.locator('[data-testid="immutable-data"]', { hasText: 'one' }).waitFor();
        expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
        expect(await page.locator('input[name$=".key"]').count()).toBe(0);
      }),
    SCENARIO_MS,
  );

  it(
    'a tenant admin edits a Secret without revealing it: renames a key, replaces a value; the API decodes what was typed',
    () =>
      dash.scenario('secret-edit', async () => {
        const page = await dash.signIn('alice');
        await dash.go(page, `secrets/${NS}~api-creds/show`);
        await page.locator('[data-testid="secret-value-token"]', { hasText: '••••••' }).waitFor();
        await page.getByRole('link', { name: 'Edit' }).click();
        const tokenRow = await rowOf(page, 'token');
        await page.locator(`input[name="pairs.${await rowOf(page, 'user')}.key"]`).fill('username');
        // Neither value is in the page: the editor loaded the keys only.
        for (const v of ['svc-user-17', 't0ken-old-value']) {
          expect(await html(page)).not.toContain(v);
          expect(await html(page)).not.toContain(b64(v));
        }
        const tokenValue = page.locator(`input[name="pairs.${tokenRow}.value"]`);
        expect(await tokenValue.getAttribute('type')).toBe('password');
        await tokenValue.fill('n3w-t0ken ✓');
        await page.getByRole('button', { name: 'Save' }).click();
        await page
          .locator('[data-testid="secret-value-username"]', { hasText: '••••••' })
          .waitFor();
        const stored = await cluster.call('GET', secretUrl);
        expect(Object.keys(stored.data).sort()).toEqual(['token', 'username']);
        expect(unb64(stored.data.username)).toBe('svc-user-17');
        expect(unb64(stored.data.token)).toBe('n3w-t0ken ✓');

        // Revealing in the editor reads the value (the audited GET) into the field.
        await page.getByRole('link', { name: 'Edit' }).click();
        await page.getByRole('button', { name: 'Reveal username' }).click();
        const username = page.locator(`input[name="pairs.${await rowOf(page, 'username')}.value"]`);
        await waitFor(
          async () => (await username.inputValue()) === 'svc-user-17',
          'the revealed value in the editor',
          STEP_MS,
        );
        expect(await username.getAttribute('type')).toBe('text');
      }),
    SCENARIO_MS,
  );

  it(
    'a tenant admin creates a token for the default ServiceAccount: shown once, it authenticates as the account',
    () =>
      dash.scenario('sa-token', async () => {
        await waitFor(
          async () =>
            !!(await cluster.call('GET', `/api/v1/namespaces/${NS}/serviceaccounts/default`)),
          'the default ServiceAccount',
          STEP_MS,
        );
        const page = await dash.signIn('alice');
        await dash.go(page, 'serviceaccounts');
        const row = page.locator('tbody tr', { hasText: 'default' }).filter({ hasText: NS });
        await row.waitFor();
        await row.getByRole('link', { name: 'default' }).click();
        await page.getByText(`system:serviceaccount:${NS}:default`).waitFor();
        await page.getByRole('button', { name: 'Create token' }).click();
        const dialog = page.getByRole('dialog');
        expect(await dialog.locator('[data-testid="sa-token-duration"]').inputValue()).toBe('1h');
        // Shorter than Kubernetes' 10 minutes is refused before asking.
        await dialog.locator('[data-testid="sa-token-duration"]').fill('5m');
        await dialog.getByText('at least 10 minutes').waitFor();
        expect(await dialog.getByRole('button', { name: 'Create', exact: true }).isDisabled()).toBe(
          true,
        );
        await dialog.locator('[data-testid="sa-token-duration"]').fill('1h');
        const asked = Date.now();
        await dialog.getByRole('button', { name: 'Create', exact: true }).click();
        const token = await dialog.locator('[data-testid="sa-token"]').inputValue();
        await dialog.getByText('will not be shown again').waitFor();
        await dialog.getByRole('button', { name: 'Copy token' }).waitFor();
        const expiry = (await dialog.locator('[data-testid="sa-token-expiry"]').innerText()).match(
          /\((\S+)\)/,
        )?.[1];
        const expiresIn = Date.parse(expiry ?? '') - asked;
        expect(expiresIn).toBeGreaterThan(3600_000 - 120_000);
        expect(expiresIn).toBeLessThan(3600_000 + 120_000);

        const asToken = (method: string, url: string, body?: unknown) =>
          fetch(`${cluster.api.httpUrl}${url}`, {
            method,
            headers: {
              Authorization: `Bearer ${token}`,
              ...(body ? { 'Content-Type': 'application/json' } : {}),
            },
            body: body ? JSON.stringify(body) : undefined,
          });
        const pods = await asToken('GET', `/api/v1/namespaces/${NS}/pods`);
        expect([200, 403]).toContain(pods.status);
        const review = await asToken('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        });
        expect(review.status).toBe(201);
        expect(((await review.json()) as any).status.userInfo.username).toBe(
          `system:serviceaccount:${NS}:default`,
        );

        // Gone with the dialog: not in the page, not in the browser's storage.
        await dialog.getByRole('button', { name: 'Done' }).click();
        await dialog.waitFor({ state: 'detached' });
        expect(await html(page)).not.toContain(token);
        const stored = await page.evaluate(() =>
          JSON.stringify([{ ...localStorage }, { ...sessionStorage }]),
        );
        expect(stored).not.toContain(token);
      }),
    SCENARIO_MS,
  );

  it(
    'a tenant admin creates a ServiceAccount in the UI, sees it listed with its secrets count, and deletes it',
    () =>
      dash.scenario('sa-create-delete', async () => {
        const page = await dash.signIn('alice');
        await dash.go(page, 'serviceaccounts/create');
        await page.getByLabel('Namespace').click();
        await page.getByRole('option', { name: NS }).click();
        await page.locator('input[name=name]').fill('builder');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText(`system:serviceaccount:${NS}:builder`).waitFor();
        const url = `/api/v1/namespaces/${NS}/serviceaccounts/builder`;
        expect((await cluster.call('GET', url)).metadata.name).toBe('builder');

        await dash.go(page, 'serviceaccounts');
        const row = page.locator('tbody tr', { hasText: 'builder' });
        // Columns: name, namespace, secrets, (token), age.
        await row.getByRole('cell', { name: '0', exact: true }).waitFor();
        await row.getByRole('button', { name: 'Delete' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
        await row.waitFor({ state: 'detached' });
        await waitFor(
          () =>
            cluster.call('GET', url).then(
              () => false,
              (e: Error) => / 404 /.test(e.message),
            ),
          'the ServiceAccount to be gone from the API',
          STEP_MS,
        );
      }),
    SCENARIO_MS,
  );

  it(
    'a viewer sees config and service accounts but gets no Edit or Create token button',
    () =>
      dash.scenario('viewer', async () => {
        const page = await dash.signIn('vera');
        await dash.go(page, `configmaps/${NS}~app-settings/show`);
        await page.locator('[data-testid="configmap-data"]').waitFor();
        await page.locator('[data-testid="show-actions"][data-decided="true"]').waitFor();
        expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
        await dash.go(page, `serviceaccounts/${NS}~default/show`);
        await page.getByText(`system:serviceaccount:${NS}:default`).waitFor();
        await page.locator('[data-testid="show-actions"][data-decided="true"]').waitFor();
        expect(await page.getByRole('button', { name: 'Create token' }).count()).toBe(0);
        await dash.go(page, 'serviceaccounts');
        await page.locator('[data-testid="list-actions"][data-decided="true"]').waitFor();
        await page.locator('tbody tr', { hasText: 'default' }).first().waitFor();
        expect(await page.getByRole('link', { name: /^create$/i }).count()).toBe(0);
      }),
    SCENARIO_MS,
  );
});
