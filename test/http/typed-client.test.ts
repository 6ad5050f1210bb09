import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// A client generated from the served document (openapi-typescript + openapi-fetch), compiled
// with strict tsc, runs the README's walkthrough against the real server, listening on a port,
// with its worker running: test/http/typed-client/readme-flow.ts.

const run = promisify(execFile);
const DIR = path.resolve('test/http/typed-client');
let svc: TestService;
let baseUrl: string;

beforeAll(async () => {
  svc = await startService({ WORKER_POLL_MS: '50' });
  baseUrl = await svc.app.listen({ port: 0, host: '127.0.0.1' });
  svc.runner.start();
});
afterAll(async () => {
  await svc?.runner.stop();
  await svc?.close();
});

it('generates types from /openapi.json that compile, with the README flow, under strict tsc', async () => {
  const doc = (await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const types = astToString(await openapiTS(doc));
  expect(types).toContain('"/v1/imports/{id}"');
  fs.mkdirSync(path.join(DIR, 'generated'), { recursive: true });
  fs.writeFileSync(path.join(DIR, 'generated', 'api.d.ts'), types);
  const tsc = path.resolve('node_modules/typescript/bin/tsc');
  const out = await run(process.execPath, [tsc, '-p', path.join(DIR, 'tsconfig.json')]).catch((err: { stdout?: string }) => ({ stdout: `FAILED\n${err.stdout}` }));
  expect(out.stdout).toBe('');
  // Without a single cast: no `as`, no non-null assertion, no `any`.
  const code = fs.readFileSync(path.join(DIR, 'readme-flow.ts'), 'utf8').replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'|`[^`]*`/g, "''");
  expect(code).not.toMatch(/\bas\s+(?!const\b)[A-Za-z{[(]|<[A-Z]\w*>\s*\w|[\w)\]]!\.|[\w)\]]!\s*[;,)]|\bany\b/);
}, 120_000);

it('runs the README flow against the real server', async () => {
  const { readmeFlow } = await import('./typed-client/readme-flow.js');
  const key = await svc.newOrg();
  const r = await readmeFlow(baseUrl, key);
  expect(r.syncStatus).toBe('queued');
  expect(r.contactsStats).toEqual({ total: 2, created: 1, errors: 1 });
  expect(r.errorCodes).toEqual(['invalid_value']);
  expect(r.asyncStatus).toBe('completed');
  expect(r.uploadedBytes).toBeGreaterThan(0);
  expect(r.externalIds.sort()).toEqual(['C1', 'C3', 'C4']);
  expect(r.lookedUp).toBe('Cy Young');
  expect(r.eventTypes).toEqual(['record.created']);
  expect(r.missingCode).toBe('not_found');
  expect(r.errorsCsvHeader).toMatch(/^row,phase,code,field,message/);
}, 120_000);
