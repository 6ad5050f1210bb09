import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manySharedStringsXlsx } from '../support/hostile-xlsx.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';

// Issue 18 item 1: a 1.8 MB XLSX whose shared-strings table holds 30 million tiny rich-text
// entries (780 MB of XML) took a process from 433 MB to 4.8 GB and killed it; sent inline as a
// sync request it killed an API process. Now: the reader keeps a bounded table of its own and
// refuses the file naming the limit, memory stays flat, and an inline XLSX is never parsed
// inside the request.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRIES = 30_000_000;

let bomb: Buffer;
let svc: TestService;

beforeAll(async () => {
  bomb = await manySharedStringsXlsx(ENTRIES);
  svc = await startService();
}, 60_000);
afterAll(async () => svc?.close());

/** Reads `file` in a process of its own (test/support/read-peak.ts); its peak RSS and outcome. */
async function readInOwnProcess(file: Buffer): Promise<{ rows: number; error?: { code: string; message: string }; peakRssBytes: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-hostile-'));
  const at = path.join(dir, 'bomb.xlsx');
  fs.writeFileSync(at, file);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/read-peak.ts', at], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    return JSON.parse(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls /healthz every 100 ms until `work` settles; the slowest answer in ms. */
async function slowestHealthzDuring(work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  let slowest = 0;
  let calls = 0;
  while (!done) {
    const started = performance.now();
    const res = await svc.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
    calls++;
    await new Promise((r) => setTimeout(r, 100));
  }
  await work;
  expect(calls).toBeGreaterThan(0);
  return slowest;
}

describe('issue 18 item 1: an XLSX with 30 million shared strings keeps memory bounded', () => {
  it('is the small file of the report', () => {
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
  });

  it('the reader refuses it naming the limit, its process staying far below 1 GB', async () => {
    const out = await readInOwnProcess(bomb);
    expect(out.error?.code).toBe('unreadable_file');
    expect(out.error?.message).toMatch(/more than 2097152 shared strings \(the limit XLSX_MAX_SHARED_STRINGS\)/);
    // Before: 4.8 GB and out of memory. The bounded table holds 2 Mi entries of 1 byte plus
    // 4 bytes of offset each; node, tsx and exceljs themselves take ~100 MB.
    expect(out.peakRssBytes).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  it('a file just under the limit is read, with its strings', async () => {
    const out = await readInOwnProcess(await manySharedStringsXlsx(1_000_000));
    expect(out.error).toBeUndefined();
    expect(out.rows).toBe(1);
    expect(out.peakRssBytes).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  it('async: the import fails with unreadable_file naming the limit; /healthz keeps answering', async () => {
    const key = await svc.newOrg();
    const created = await createAsync(svc, key);
    expect((await put(svc, created._upload_url, bomb)).status).toBe(200);
    const slowest = await slowestHealthzDuring(svc.runner.drain());
    const imp = (await svc.call('GET', `/v1/imports/${created.id}`, key)).body;
    expect(imp.status).toBe('failed');
    expect(imp.reason).toMatch(/^unreadable_file: .*XLSX_MAX_SHARED_STRINGS/);
    expect(statsAddUp(imp.stats)).toBe(true);
    expect(slowest).toBeLessThan(1000);
  }, 120_000);

  it('sync: an inline XLSX is not parsed in the request; it is queued and the worker refuses it', async () => {
    const key = await svc.newOrg();
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync',
      data: `data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,${bomb.toString('base64')}`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Answered before anything was read: queued, prevalidation still pending.
    expect(res.body.status).toBe('queued');
    expect(res.body.stats.total).toBe(0);
    expect(res.body.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    const slowest = await slowestHealthzDuring(svc.runner.drain());
    const imp = (await svc.call('GET', `/v1/imports/${res.body.id}`, key)).body;
    expect(imp.status).toBe('failed');
    expect(imp.reason).toMatch(/^unreadable_file: .*XLSX_MAX_SHARED_STRINGS/);
    expect(slowest).toBeLessThan(1000);
  }, 120_000);
});
