import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { FileChooser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/processes.js';
import { dropFile, newTab, screenshot, signInWith, startDashboard, tabTo, type Dashboard } from './browser.js';

// Issue 15's acceptance, in Chromium against the real server: sign in with a key, drop a file
// whose "Full Name" maps by itself but whose "Handy" column (German for mobile phone, not a
// known synonym) must be mapped by hand, start, watch it complete, read the invalid row with
// its line, download the errors CSV, find the records; another organization sees none of it;
// the overwrite guard; the whole import flow by keyboard alone (with an XLSX); no console errors.

let d: Dashboard;
let key: string;

beforeAll(async () => {
  d = await startDashboard();
  key = await d.svc.newOrg('Dashboard org');
}, 240_000);
afterAll(async () => d?.close());

const CSV = ['external_id,Full Name,Handy,E-mail', 'C1,Ada Lovelace,+44 20 7946 0001,ada@example.com', 'C2,Alan Turing,+44 20 7946 0002,not-an-email', 'C3,Grace Hopper,+1 555 0100,grace@example.com', ''].join('\n');

async function statusText(page: Page): Promise<string> {
  return (await page.locator('.status-line').innerText()).trim();
}

/** Space on the focused file input opens the chooser; a loaded machine may drop the first press. */
async function openFileChooser(page: Page): Promise<FileChooser> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10_000 }), page.keyboard.press('Space')]);
      return chooser;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function waitForFinal(page: Page): Promise<string> {
  return until('the import page to show a final status', async () => {
    const s = await statusText(page);
    return /completed|failed|timed out|expired/.test(s) ? s : null;
  }, 120_000, 250);
}

describe('the dashboard', () => {
  let importUrl = '';

  it('imports a CSV that needs one manual mapping, shows its error with its line, the errors CSV and the records', async () => {
    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, key);
    // The key is in this tab's session storage, never in a URL.
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate('Object.values(sessionStorage)')).toContain(key);
    expect(await page.evaluate('Object.values(localStorage)')).not.toContain(key);

    await page.getByRole('link', { name: 'New import' }).first().click();
    await page.getByLabel('Resource').selectOption('contact');
    await page.getByLabel('Name (optional)').fill('Staff from the HR export');
    await dropFile(page, '.drop-zone', 'staff.csv', Buffer.from(CSV), 'text/csv');
    await expect.poll(() => page.locator('#file-chosen').innerText()).toContain('staff.csv');
    await page.getByRole('button', { name: 'Upload and review columns' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+\/review$/, { timeout: 60_000 });

    // Every header with its picker: Full Name found by itself, Handy ignored until mapped.
    await expect.poll(() => page.getByLabel('Full Name').inputValue(), { timeout: 30_000 }).toBe('name');
    expect(await page.getByLabel('external_id').inputValue()).toBe('external_id');
    expect(await page.getByLabel('E-mail').inputValue()).toBe('email');
    expect(await page.getByLabel('Handy').inputValue()).toBe('');
    expect(await page.locator('tr', { has: page.getByLabel('Handy') }).innerText()).toContain('ignored');
    expect(await page.locator('.preview-rows').innerText()).toContain('Grace Hopper');
    await page.getByLabel('Handy').selectOption('phone');
    expect(await page.locator('tr', { has: page.getByLabel('Handy') }).innerText()).toContain('chosen by you');
    await screenshot(page, 'new-import-preview');
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+$/);
    importUrl = page.url();

    expect(await waitForFinal(page)).toContain('completed');
    const phases = page.locator('.phases li');
    expect(await phases.count()).toBe(7);
    for (const text of await phases.allInnerTexts()) expect(text).toMatch(/completed|skipped/);
    const stats = await page.locator('.stats').innerText();
    expect(stats).toMatch(/Rows\s+3/);
    expect(stats).toMatch(/Created\s+2/);
    expect(stats).toMatch(/Errors\s+1/);

    // The invalid row: its line in the file (header = line 1), the code, the original values.
    const errorRow = page.locator('.errors-table tbody tr').first();
    await errorRow.waitFor();
    const cells = await errorRow.locator('td').allInnerTexts();
    expect(cells[0]).toBe('3');
    expect(cells[1]).toContain('invalid_value');
    expect(cells[2]).toBe('email');
    expect(cells[4]).toContain('not-an-email');
    expect(cells[4]).toContain('Alan Turing');
    await page.getByLabel('Code').selectOption('duplicate');
    await expect.poll(() => page.getByText('No row errors match.').count()).toBe(1);
    await page.getByLabel('Code').selectOption('invalid_value');
    await expect.poll(() => page.locator('.errors-table tbody tr').count()).toBe(1);
    // Events: before/after side by side.
    expect(await page.locator('details.event').count()).toBe(2);
    expect(await page.locator('details.event[open] table').innerText()).toMatch(/Before\s+After/);
    await screenshot(page, 'import-page');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Errors CSV' }).click()]);
    const errorsCsv = fs.readFileSync((await download.path())!, 'utf8');
    expect(errorsCsv).toContain('not-an-email');
    expect(errorsCsv).toContain('Alan Turing');
    expect(errorsCsv).not.toContain('Ada Lovelace');

    // The list, newest first, filtered by resource: two more imports made through the API.
    const more = [
      { resource: 'location', action: 'merge', upload_mode: 'sync', name: 'Warehouses', data: [{ external_id: 'L1', name: 'Berlin Hub' }, { external_id: 'L2', name: 'Hamburg Port' }] },
      { resource: 'item', action: 'merge', upload_mode: 'sync', name: 'Catalogue', data: [{ external_id: 'I1', name: 'Laptop', sku: 'LAP-1' }, { external_id: 'I2' }] },
    ];
    for (const body of more) {
      const res = await d.svc.call('POST', '/v1/imports', key, body);
      expect(res.status).toBe(201);
      await until(`the ${body.name} import`, async () => /completed|failed/.test((await d.svc.call('GET', `/v1/imports/${res.body.id}`, key)).body.status), 60_000, 100);
    }
    await page.getByRole('link', { name: 'Imports', exact: true }).click();
    await expect.poll(() => page.locator('.imports-table tbody tr').count()).toBe(3);
    expect(await page.locator('.imports-table tbody tr').first().innerText()).toContain('Catalogue');
    expect(await page.locator('.imports-table tbody tr').last().innerText()).toContain('Staff from the HR export');
    await screenshot(page, 'imports-list');
    await page.locator('.filters').getByLabel('Resource').selectOption('contact');
    await expect.poll(() => page.locator('.imports-table tbody tr').count()).toBe(1);
    expect(await page.locator('.imports-table').innerText()).toContain('Staff from the HR export');

    // The records, with the hand-mapped phone; lookup by a key.
    await page.getByRole('link', { name: 'Records' }).click();
    await page.locator('.records-table').waitFor();
    const table = await page.locator('.records-table').innerText();
    expect(table).toContain('Ada Lovelace');
    expect(table).toContain('+44 20 7946 0001');
    expect(table).not.toContain('Alan Turing');
    await page.getByLabel('Look up by').selectOption('external_id');
    await page.getByLabel('Value').fill('C3');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.locator('.records-table tbody tr').count()).toBe(1);
    expect(await page.locator('.records-table').innerText()).toContain('Grace Hopper');
    await page.getByRole('button', { name: 'Show all' }).click();
    await expect.poll(() => page.locator('.records-table tbody tr').count()).toBe(2);
    await screenshot(page, 'records');

    // A reload of a deep link still works (the server answers index.html).
    await page.goto(importUrl);
    await expect.poll(() => statusText(page)).toContain('completed');

    // Sign out forgets the key.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('Object.values(sessionStorage)')).not.toContain(key);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 240_000);

  it("another organization's key sees none of it", async () => {
    const other = await d.svc.newOrg('Other org');
    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, other);
    await page.getByText('No imports yet').waitFor();
    await page.getByRole('link', { name: 'Records' }).click();
    await page.getByText('No contact records yet').waitFor();
    await page.goto(importUrl);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/not found|no import/i);
    // The only console line is the browser reporting that 404 itself.
    expect(consoleErrors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows the mass-delete guard before an overwrite runs, and as the reason when it refused', async () => {
    const guardKey = await d.svc.newOrg('Guard org');
    const seed = Array.from({ length: 10 }, (_, i) => ({ external_id: `G${i + 1}`, name: `Person ${i + 1}` }));
    const created = await d.svc.call('POST', '/v1/imports', guardKey, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: seed });
    expect(created.status).toBe(201);
    await until('the seed import', async () => (await d.svc.call('GET', `/v1/imports/${created.body.id}`, guardKey)).body.status === 'completed', 60_000, 100);

    const { page, context, consoleErrors } = await newTab(d.browser);
    await signInWith(page, d.baseUrl, guardKey);
    await page.goto(`${d.baseUrl}/imports/new`);
    await page.getByLabel('Resource').selectOption('contact');
    await page.getByLabel('Overwrite').check();
    await dropFile(page, '.drop-zone', 'three.csv', Buffer.from('external_id,name\nG1,Person 1\nG2,Person 2\nG3,Person 3\n'), 'text/csv');
    await page.getByRole('button', { name: 'Upload and review columns' }).click();
    await page.waitForURL(/\/review$/, { timeout: 60_000 });
    const guard = page.locator('article.guard');
    await guard.waitFor();
    const warning = await guard.innerText();
    expect(warning).toContain('10 contact records');
    expect(warning).toContain('50%');
    expect(await page.getByLabel(/Allow mass delete/).isChecked()).toBe(false);
    await screenshot(page, 'overwrite-guard');
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/imports\/imp_[^/]+$/);
    await waitForFinal(page);
    const stopped = page.locator('article.guard');
    await stopped.waitFor();
    const text = await stopped.innerText();
    expect(text).toContain('Stopped by the mass-delete guard');
    expect(text).toContain('7 of 10');
    expect(text).toContain('Allow mass delete');
    await screenshot(page, 'overwrite-refused');
    const records = await d.svc.call('GET', '/v1/resources/contact/records?limit=100', guardKey);
    expect(records.body.data).toHaveLength(10);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('works by keyboard alone: sign in, an XLSX with a manual mapping, start, the result', async () => {
    const kbKey = await d.svc.newOrg('Keyboard org');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Staff');
    ws.addRows([
      ['Full Name', 'Handy', 'external_id'],
      ['Katherine Johnson', '+1 555 0101', 'K1'],
      ['Dorothy Vaughan', '+1 555 0102', 'K2'],
    ]);
    const xlsxPath = '.tmp/keyboard-staff.xlsx';
    fs.mkdirSync('.tmp', { recursive: true });
    await wb.xlsx.writeFile(xlsxPath);

    const { page, context, consoleErrors } = await newTab(d.browser);
    await page.goto(`${d.baseUrl}/`);
    // The key field takes the focus once the app has rendered (a loaded machine may take a while).
    await expect.poll(() => page.evaluate("document.activeElement?.id"), { timeout: 30_000 }).toBe('api-key');
    await page.keyboard.type(kbKey); // the key field has the focus
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/imports$/);
    await tabTo(page, 'the New import link', "el.textContent === 'New import' && el.tagName === 'A'");
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/imports\/new$/);
    await tabTo(page, 'the file input', "el.tagName === 'INPUT' && el.type === 'file'");
    await (await openFileChooser(page)).setFiles(xlsxPath);
    await tabTo(page, 'the upload button', "el.textContent === 'Upload and review columns'");
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/review$/, { timeout: 60_000 });
    await page.getByLabel('Handy').waitFor();
    await tabTo(page, 'the Handy column picker', 'el.id !== "" && document.querySelector(`label[for="${el.id}"]`)?.textContent === "Handy"');
    await page.keyboard.type('phone'); // a focused select picks the option typed
    expect(await page.getByLabel('Handy').inputValue()).toBe('phone');
    await tabTo(page, 'the Start button', "el.textContent === 'Start import'");
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/imports\/imp_[^/]+$/);
    expect(await waitForFinal(page)).toContain('completed');
    expect(await page.locator('.stats').innerText()).toMatch(/Created\s+2/);
    const records = await d.svc.call('GET', '/v1/resources/contact/records?external_id=K2', kbKey);
    expect(records.body.data[0]).toMatchObject({ name: 'Dorothy Vaughan', phone: '+1 555 0102' });
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('is readable at phone width', async () => {
    const { page, context, consoleErrors } = await newTab(d.browser, 390);
    await signInWith(page, d.baseUrl, key);
    await page.goto(importUrl);
    await expect.poll(() => statusText(page)).toContain('completed');
    // Nothing wider than the screen except inside the scrolling table boxes.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'import-page-phone');
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
