import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/processes.js';
import { dropFile, newTab, screenshot, signInWith, startDashboard, type Dashboard } from './browser.js';

// The dashboard's dry runs, per-row results and reverts, in Chromium against the real server: a
// dry run started from the New import page shows its would-be changes and changes nothing; its
// results CSV downloads; "Run it for real" repeats it; the real import is reverted from its page
// and the records are back; a revert refused for a conflict is forced from the page.

let d: Dashboard;
let key: string;

beforeAll(async () => {
  d = await startDashboard();
  key = await d.svc.newOrg('Revert org');
}, 240_000);
afterAll(async () => d?.close());

async function statusText(page: Page): Promise<string> {
  return (await page.locator('.status-line').innerText()).trim();
}

async function waitForFinal(page: Page): Promise<string> {
  return until('the import page to show a final status', async () => {
    const s = await statusText(page);
    return /completed|failed|timed out|expired/.test(s) ? s : null;
  }, 120_000, 250);
}

/** external_id → name of the org's contacts, read through the API. */
async function contacts(orgKey = key): Promise<Record<string, string | null>> {
  const res = await d.svc.call('GET', '/v1/resources/contact/records?limit=100', orgKey);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body.data as { external_id: string; name: string | null }[]).map((r) => [r.external_id, r.name]));
}

async function apiImport(body: Record<string, unknown>, orgKey = key): Promise<string> {
  const res = await d.svc.call('POST', '/v1/imports', orgKey, { resource: 'contact', action: 'merge', upload_mode: 'sync', ...body });
  expect(res.status).toBe(201);
  await until('an API import', async () => (await d.svc.call('GET', `/v1/imports/${res.body.id}`, orgKey)).body.status === 'completed', 60_000, 100);
  return res.body.id as string;
}

describe('dry runs, results and reverts on the dashboard', () => {
  it('a dry run shows its changes and changes nothing; its results CSV downloads; run for real, then revert brings the records back', async () => {
    await apiImport({ data: [{ external_id: 'K1', name: 'Katherine Johnson' }] });
    const before = await contacts();
    expect(before).toEqual({ K1: 'Katherine Johnson' });

    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, key);
    await page.goto(`${d.baseUrl}/imports/new`);
    await page.getByLabel('Resource').selectOption('contact');
    await page.getByLabel('Name (optional)').fill('Scientists');
    await page.getByLabel('Dry run (change nothing, show what would happen)').check();
    const csv = 'external_id,Full Name\nK1,Katherine G. Johnson\nK2,Dorothy Vaughan\n';
    await dropFile(page, '.drop-zone', 'scientists.csv', Buffer.from(csv), 'text/csv');
    await page.getByRole('button', { name: 'Upload and review columns' }).click();
    await page.waitForURL(/\/review$/, { timeout: 60_000 });
    await page.locator('.dry-run-note').waitFor();
    await page.getByRole('button', { name: 'Start dry run' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+$/);
    const dryUrl = page.url();
    expect(await waitForFinal(page)).toContain('completed');

    // Marked as a dry run, with the would-be changes.
    expect(await page.getByRole('heading', { name: 'Dry run — nothing was changed' }).count()).toBe(1);
    await page.getByRole('heading', { name: 'Changes a real run would make' }).waitFor();
    await expect.poll(() => page.locator('details.event').count()).toBe(2);
    const changes = (await page.locator('details.event summary').allInnerTexts()).join('\n');
    expect(changes).toContain('would be created');
    expect(changes).toContain('would be updated');
    // Only the first card starts open, and the two changes may come in either order.
    const updated = page.locator('details.event', { hasText: 'would be updated' });
    if ((await updated.getAttribute('open')) === null) await updated.locator('summary').click();
    expect(await updated.locator('table').innerText()).toMatch(/Katherine Johnson\s+Katherine G\. Johnson/);
    // No revert for a dry run.
    expect(await page.getByRole('button', { name: 'Revert import' }).count()).toBe(0);
    await screenshot(page, 'dry-run');
    // Nothing changed.
    expect(await contacts()).toEqual(before);

    // The results CSV: one line per row, the forecast outcomes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Results CSV' }).click()]);
    const results = fs.readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const lines = results.trim().split(/\r?\n/);
    expect(lines[0]).toBe('row,line,outcome,record_id,error_code');
    expect(lines[1]).toMatch(/^1,2,updated,con_\w+,$/);
    expect(lines[2]).toMatch(/^2,3,created,con_\w+,$/);

    // The list marks it.
    await page.getByRole('link', { name: 'Imports', exact: true }).click();
    await expect.poll(() => page.locator('.imports-table tbody tr').first().innerText()).toContain('dry run');

    // Run it for real: the same rows, reviewed again, then started.
    await page.goto(dryUrl);
    await page.getByRole('button', { name: 'Run it for real' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+\/review$/, { timeout: 60_000 });
    expect(page.url()).not.toContain(dryUrl.split('/').pop()!);
    expect(await page.locator('.dry-run-note').count()).toBe(0);
    await expect.poll(() => page.getByLabel('Full Name').inputValue(), { timeout: 30_000 }).toBe('name');
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+$/);
    const realUrl = page.url();
    expect(await waitForFinal(page)).toContain('completed');
    expect(await page.locator('.dry-run-note').count()).toBe(0);
    expect(await contacts()).toEqual({ K1: 'Katherine G. Johnson', K2: 'Dorothy Vaughan' });

    // Revert, with its confirm step (by keyboard: the confirm heading takes focus).
    await page.getByRole('button', { name: 'Revert import' }).click();
    await page.getByRole('heading', { name: 'Revert this import?' }).waitFor();
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Revert this import?');
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByRole('heading', { name: 'Revert this import?' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Revert import' }).click();
    await page.getByRole('button', { name: 'Yes, revert' }).press('Enter');
    await page.waitForURL((u) => /\/imports\/imp_[^/]+$/.test(u.pathname) && u.toString() !== realUrl, { timeout: 60_000 });
    expect(await waitForFinal(page)).toContain('completed');
    const realId = realUrl.split('/').pop()!;
    expect(await page.getByRole('link', { name: realId }).count()).toBe(1);
    expect(await page.locator('main').innerText()).toContain(`Reverts ${realId}`);
    expect(await contacts()).toEqual(before);
    const revertId = page.url().split('/').pop()!;

    // The original names its revert and offers no second one.
    await page.goto(realUrl);
    await expect.poll(() => page.locator('main').innerText()).toContain(`Reverted by ${revertId}`);
    expect(await page.getByRole('button', { name: 'Revert import' }).count()).toBe(0);

    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 300_000);

  it('a revert refused for a conflict lists the conflicting records and can be forced', async () => {
    const first = await apiImport({ data: [{ external_id: 'M1', name: 'Mary Jackson' }] });
    await apiImport({ data: [{ external_id: 'M1', name: 'Mary W. Jackson' }] });

    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, key);
    await page.goto(`${d.baseUrl}/imports/${first}`);
    expect(await waitForFinal(page)).toContain('completed');
    await page.getByRole('button', { name: 'Revert import' }).click();
    await page.getByRole('button', { name: 'Yes, revert' }).click();
    const table = page.locator('.revert-panel table');
    await table.waitFor();
    expect(await table.innerText()).toMatch(/created it\s+changed since/);
    expect(await table.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'revert-conflict');
    await page.getByRole('button', { name: 'Revert anyway (force)' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(first), { timeout: 60_000 });
    expect(await waitForFinal(page)).toContain('completed');
    expect((await contacts()).M1).toBeUndefined();
    // The browser logs the 409 answer itself; nothing else.
    expect(consoleErrors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await context.close();
  }, 240_000);

  it('a revert the mass-delete guard refuses says so and can be allowed', async () => {
    const guardKey = await d.svc.newOrg('Revert guard org');
    const created = await apiImport({ data: [{ external_id: 'G1', name: 'One' }, { external_id: 'G2', name: 'Two' }, { external_id: 'G3', name: 'Three' }] }, guardKey);

    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, guardKey);
    await page.goto(`${d.baseUrl}/imports/${created}`);
    expect(await waitForFinal(page)).toContain('completed');
    await page.getByRole('button', { name: 'Revert import' }).click();
    await page.getByRole('button', { name: 'Yes, revert' }).click();
    const guard = page.locator('.revert-panel .guard');
    await guard.waitFor();
    expect(await guard.innerText()).toContain('mass-delete guard');
    expect(Object.keys(await contacts(guardKey))).toHaveLength(3);
    await page.getByRole('button', { name: 'Allow mass delete and revert' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(created), { timeout: 60_000 });
    expect(await waitForFinal(page)).toContain('completed');
    expect(await contacts(guardKey)).toEqual({});
    expect(consoleErrors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await context.close();
  }, 240_000);
});
