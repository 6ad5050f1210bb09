import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../support/processes.js';
import { startService, type TestService } from '../support/service.js';

// The dashboard in a real browser: Debian's chromium driven by playwright-core, against the
// real server (listening on a port, worker running) on the test database. The app is built
// first when web/dist is missing or older than its sources (scripts/build-web.ts --if-stale).

export const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

export interface Dashboard {
  svc: TestService;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startDashboard(): Promise<Dashboard> {
  await run(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/build-web.ts', '--if-stale'], { timeout: 180_000 });
  const port = await freePort();
  // Signed upload/download URLs name PUBLIC_URL; the page is opened on the same origin.
  const svc = await startService({ WORKER_POLL_MS: '50', PUBLIC_URL: `http://127.0.0.1:${port}` });
  const baseUrl = await svc.app.listen({ port, host: '127.0.0.1' });
  svc.runner.start();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    svc,
    browser,
    baseUrl,
    async close() {
      await browser.close();
      await svc.runner.stop();
      await svc.close();
    },
  };
}

/** A fresh tab (own session storage) that records every console error and page error. */
export async function newTab(browser: Browser, width = 1280): Promise<{ page: Page; context: BrowserContext; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  return { page, context, consoleErrors };
}

export async function signInWith(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/imports$/);
}

/** Drops a file on the drop zone the way a browser does: a drop event carrying a DataTransfer. */
export async function dropFile(page: Page, selector: string, name: string, bytes: Buffer, type: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64, type }) => {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      // Runs in the page (this tsconfig has no DOM types): the browser's DataTransfer.
      const dt = new (globalThis as any).DataTransfer();
      dt.items.add(new File([arr], name, { type }));
      return dt;
    },
    { name, b64: bytes.toString('base64'), type },
  );
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

/** Presses Tab until the focused element (`el` in the page) makes `test` true (keyboard-only use). */
export async function tabTo(page: Page, description: string, test: string, maxTabs = 60): Promise<void> {
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`((el) => ${test})(document.activeElement)`)) return;
  }
  throw new Error(`Tab never reached ${description}`);
}

/** Screenshots go to .tmp/ (to look at), and into docs/screenshots/ with UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync('.tmp', { recursive: true });
  await page.screenshot({ path: path.join('.tmp', `${name}.png`), fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: path.join('docs/screenshots', `${name}.png`), fullPage: true });
  }
}
