import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// The dashboard's files as the API process serves them (src/http/web-app.ts): / and any app
// route answer index.html; hashed assets are cached for good, index.html never; the API's own
// paths keep their JSON 404s; the build stamp is not served.

let svc: TestService;

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/build-web.ts', '--if-stale'], { timeout: 180_000 });
  svc = await startService();
}, 240_000);
afterAll(async () => svc?.close());

it('serves the app at / and at its routes, uncached', async () => {
  for (const url of ['/', '/imports', '/imports/imp_0123/review', '/records/contact?x=1']) {
    const res = await svc.app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain('<div id="root"></div>');
  }
});

it('caches the hashed assets for good', async () => {
  const index = (await svc.app.inject({ method: 'GET', url: '/' })).body;
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
  expect(asset).toBeDefined();
  const res = await svc.app.inject({ method: 'GET', url: asset! });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/javascript/);
  expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
});

it('leaves the API paths to the API', async () => {
  const unknown = await svc.app.inject({ method: 'GET', url: '/v1/nothing-here' });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error.code).toBe('not_found');
  expect((await svc.app.inject({ method: 'GET', url: '/v1/imports' })).statusCode).toBe(401);
  expect((await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi).toBe('3.1.0');
  expect((await svc.app.inject({ method: 'POST', url: '/imports' })).statusCode).toBe(404);
  expect(fs.existsSync('web/dist/.build-stamp')).toBe(true);
  expect((await svc.app.inject({ method: 'GET', url: '/.build-stamp' })).body).not.toMatch(/^[0-9a-f]{64}$/);
});
