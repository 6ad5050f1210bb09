import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// /docs in a real browser (Debian's chromium, driven by playwright-core): every operation
// expands with its parameters and response schemas, and none shows a "Resolver error" (what a
// $ref to a missing component looks like there). A screenshot is left in .tmp/ to look at.

const CHROMIUM = '/usr/bin/chromium';
let svc: TestService;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  svc = await startService();
  baseUrl = await svc.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

it('/docs shows every operation with its schemas and no resolver error', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.goto(`${baseUrl}/docs/`, { waitUntil: 'networkidle' });
  const summaries = page.locator('.opblock .opblock-summary');
  await summaries.first().waitFor();
  const count = await summaries.count();
  const docOps = Object.values((await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<string, object>).reduce(
    (n: number, item) => n + Object.keys(item).length,
    0,
  );
  expect(count).toBe(docOps);
  for (let i = 0; i < count; i++) await summaries.nth(i).click();
  // Every expanded operation renders its responses; wait until all have.
  await expect.poll(() => page.locator('.opblock.is-open .responses-table').count(), { timeout: 30_000 }).toBe(count);
  await page.waitForTimeout(500); // Swagger UI resolves $refs lazily after the first render
  const text = await page.locator('body').innerText();
  expect(text).not.toContain('Resolver error');
  expect(text).not.toContain('Could not resolve reference');
  // Schemas and examples are shown: the create example and a response model.
  expect(text).toContain('Berlin Hub');
  expect(text).toContain('has_more');
  expect(failed).toEqual([]);
  fs.mkdirSync('.tmp', { recursive: true });
  await page.screenshot({ path: path.join('.tmp', 'docs.png'), fullPage: false });
  await page.locator('.opblock.is-open').first().screenshot({ path: path.join('.tmp', 'docs-create-import.png') });
}, 120_000);
