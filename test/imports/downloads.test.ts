import fs from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { parseSigningKeys, signUrl } from '../../src/storage/signed-urls.js';
import { sweepRetention } from '../../src/worker/file-sweeps.js';
import { csvText, CONTACT_ROWS, HEADERS } from '../support/contact-files.js';
import { startService, type TestService } from '../support/service.js';
import { createAsync, download, put, uploadAndSettle } from '../support/uploads.js';

// The downloads of SPEC §1/§8: the original rows as CSV or JSON whatever was uploaded, the row
// errors as CSV (formula cells neutralised) and JSON, minted as signed URLs by the include_*
// flags, streamed as attachments; save_upload: false; and retention deleting them.

const KEYS = 'd1:download-secret-0123456789';
let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService({ SIGNING_KEYS: KEYS, BATCH_ROWS: '2' });
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

const ALL = 'include_upload_csv=true&include_upload_json=true&include_errors_csv=true&include_errors_json=true';

async function withUrls(id: string, k = key, query = ALL) {
  return (await svc.call('GET', `/v1/imports/${id}?${query}`, k)).body;
}

async function records(k: string) {
  return (await svc.call('GET', '/v1/resources/contact/records?limit=100', k)).body.data
    .map(({ id, created_at, updated_at, ...rest }: any) => rest)
    .sort((a: any, b: any) => a.external_id.localeCompare(b.external_id));
}

function storedFiles(imp: { organization_id: string; id: string }): string[] {
  const dir = path.join(svc.config.dataDir, 'files', 'imports', imp.organization_id, imp.id);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

const BAD = [
  'external_id,name,email,notes',
  'F1,"=HYPERLINK(""http://evil.example"",""x"")",not-an-email,@SUM(1+1)',
  'F2,Fine,fine@example.com,ok',
  'F3,+cmd|calc,also bad,-2+3',
  'F4,Tabbed,tab@example.com,"\tstarts with a tab"',
  'F5,Dup,dup@example.com,',
  'F5,Dup again,dup2@example.com,',
].join('\r\n');

describe('the original rows', () => {
  it('come as CSV and as JSON whatever was uploaded; the JSON sent back as a sync import gives the same result', async () => {
    const csvImport = await uploadAndSettle(svc, key, csvText(';', '\r\n'));
    expect(csvImport.status).toBe('completed');
    const imp = await withUrls(csvImport.id);
    expect(imp).toMatchObject({ has_upload_file: true, has_errors_file: true });

    const json = await download(svc, imp._upload_json_url);
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['content-disposition']).toBe(`attachment; filename="${imp.id}-upload.json"`);
    const rows = JSON.parse(json.text);
    expect(rows).toHaveLength(CONTACT_ROWS.length);
    expect(Object.keys(rows[0])).toEqual([...HEADERS]); // the file's column order
    expect(rows[0]).toEqual(Object.fromEntries(HEADERS.map((h, i) => [h, CONTACT_ROWS[0]![i]])));

    const csv = await download(svc, imp._upload_csv_url);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="${imp.id}-upload.csv"`);
    const parsed = Papa.parse<string[]>(csv.text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
    expect(parsed[0]).toEqual([...HEADERS]);
    expect(parsed.slice(1).map((r) => r[0])).toEqual(CONTACT_ROWS.map((r) => r[0]));
    expect(parsed[1]![4]).toBe('Line one\nLine two');

    const other = await svc.newOrg();
    const sync = await svc.call('POST', '/v1/imports', other, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: rows });
    expect(sync.status).toBe(201);
    const again = await svc.settle(sync.body.id, other);
    expect(again.status).toBe('completed');
    expect(again.stats).toEqual(csvImport.stats);
    expect(await records(other)).toEqual(await records(key));
    const errorsOf = async (id: string, k: string) => (await svc.call('GET', `/v1/imports/${id}/errors?limit=100`, k)).body.data.map((e: any) => [e.row, e.code, e.field]);
    expect(await errorsOf(again.id, other)).toEqual(await errorsOf(csvImport.id, key));
  });

  it('keep nested JSON values: arrays and objects in the JSON download, JSON text in the CSV', async () => {
    const k = await svc.newOrg();
    const data = [
      { external_id: 'N1', name: 'Nested', metadata: { tier: 'gold', seats: 3 }, groups: [] },
      { external_id: 'N2', name: 'Second', extra_only_here: 'x' },
    ];
    const imp = await uploadAndSettle(svc, k, JSON.stringify(data));
    expect(imp.status).toBe('completed');
    const urls = await withUrls(imp.id, k);
    expect(JSON.parse((await download(svc, urls._upload_json_url)).text)).toEqual(data);
    const csv = Papa.parse<string[]>((await download(svc, urls._upload_csv_url)).text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
    expect(csv).toEqual([
      ['external_id', 'name', 'metadata', 'groups', 'extra_only_here'],
      ['N1', 'Nested', '{"tier":"gold","seats":3}', '[]', ''],
      ['N2', 'Second', '', '', 'x'],
    ]);
  });
});

describe('the errors files', () => {
  let imp: any;

  beforeAll(async () => {
    imp = await withUrls((await uploadAndSettle(svc, key, BAD)).id);
  });

  it('the CSV has row, line, phase, code, field, message, then the original columns, with formula cells neutralised', async () => {
    expect(imp.status).toBe('completed');
    const res = await download(svc, imp._errors_csv_url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${imp.id}-errors.csv"`);
    expect(res.raw.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf])); // UTF-8 BOM, for Excel
    const rows = Papa.parse<string[]>(res.text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
    expect(rows[0]).toEqual(['_import_row', '_import_line', '_import_phase', '_import_code', '_import_field', '_import_message', 'external_id', 'name', 'email', 'notes']);
    expect(rows.slice(1).map((r) => r.slice(0, 5))).toEqual([
      ['1', '2', 'prevalidation', 'invalid_value', 'email'],
      ['3', '4', 'prevalidation', 'invalid_value', 'email'],
      ['5', '6', 'preparsing', 'duplicate', 'external_id'],
      ['6', '7', 'preparsing', 'duplicate', 'external_id'],
    ]);
    expect(rows[1]!.slice(6)).toEqual(['F1', `'=HYPERLINK("http://evil.example","x")`, 'not-an-email', "'@SUM(1+1)"]);
    expect(rows[2]!.slice(6)).toEqual(['F3', "'+cmd|calc", 'also bad', "'-2+3"]);
    // No cell of the file can start a formula.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('the JSON is an array in row order of { row, line, phase, code, field, message, data }', async () => {
    const res = await download(svc, imp._errors_json_url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const errors = JSON.parse(res.text);
    expect(errors.map((e: any) => e.row)).toEqual([1, 3, 5, 6]);
    expect(errors[0]).toEqual({
      row: 1, line: 2, phase: 'prevalidation', code: 'invalid_value', field: 'email', message: expect.stringContaining('email'),
      data: { external_id: 'F1', name: '=HYPERLINK("http://evil.example","x")', email: 'not-an-email', notes: '@SUM(1+1)' },
    });
    // Exactly what GET /v1/imports/{id}/errors says.
    const api = (await svc.call('GET', `/v1/imports/${imp.id}/errors?limit=100`, key)).body.data;
    expect(errors).toEqual(api);
  });

  it('exist for failed imports too: no valid rows, sync or async', async () => {
    const allBad = 'external_id,name,email\nB1,x,bad\nB2,y,worse\n';
    const asyncFailed = await withUrls((await uploadAndSettle(svc, key, allBad)).id);
    expect(asyncFailed).toMatchObject({ status: 'failed', has_errors_file: true, has_upload_file: true });
    expect(JSON.parse((await download(svc, asyncFailed._errors_json_url)).text).map((e: any) => e.row)).toEqual([1, 2]);
    const sync = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync', data: `data:text/csv;base64,${Buffer.from(allBad).toString('base64')}`,
    });
    const syncFailed = await withUrls(sync.body.id);
    expect(syncFailed).toMatchObject({ status: 'failed', has_errors_file: true, has_upload_file: true });
    expect((await download(svc, syncFailed._errors_csv_url)).status).toBe(200);
  });
});

describe('download URLs', () => {
  it('are minted only when asked for and only for files that exist', async () => {
    const clean = await uploadAndSettle(svc, key, 'external_id,name\nK1,Clean\n');
    expect(clean).toMatchObject({ has_upload_file: true, has_errors_file: false, _upload_csv_url: null, _errors_csv_url: null });
    const asked = await withUrls(clean.id);
    expect(asked._upload_csv_url).toMatch(new RegExp(`^http://localhost:3000/v1/downloads/${clean.id}/upload\\.csv\\?`));
    expect(asked._upload_json_url).toMatch(/\/upload\.json\?/);
    expect(asked._errors_csv_url).toBeNull();
    expect(asked._errors_json_url).toBeNull();
    const some = await withUrls(clean.id, key, 'include_upload_json=true');
    expect(some._upload_csv_url).toBeNull();
    expect(some._upload_json_url).not.toBeNull();
    const expires = Number(new URL(asked._upload_csv_url).searchParams.get('expires'));
    expect(expires - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(900);
  });

  it('sync imports keep their original rows too', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'S1', name: 'Sync' }] });
    const imp = await svc.settle(res.body.id, key);
    expect(imp.has_upload_file).toBe(true);
    const urls = await withUrls(imp.id);
    expect(JSON.parse((await download(svc, urls._upload_json_url)).text)).toEqual([{ external_id: 'S1', name: 'Sync' }]);
  });

  it('tampered → 403; expired → 403; a file that does not exist → 404', async () => {
    const imp = await withUrls((await uploadAndSettle(svc, key, BAD)).id);
    const u = new URL(imp._errors_csv_url);
    const q = Object.fromEntries(u.searchParams);
    const tampered = [
      `/v1/downloads/${imp.id}/upload.csv${u.search}`,
      `/v1/downloads/${imp.id}/secrets.txt${u.search}`,
      `${u.pathname}?${new URLSearchParams({ ...q, expires: String(Number(q.expires) + 60) })}`,
      `${u.pathname}?${new URLSearchParams({ ...q, signature: '0'.repeat(64) })}`,
      u.pathname,
    ];
    for (const url of tampered) {
      const res = await svc.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('signature_invalid');
    }
    // The same URL with PUT is not an upload URL.
    expect((await svc.app.inject({ method: 'PUT', url: `/v1/uploads/${imp.id}${u.search}`, payload: 'x' })).statusCode).toBe(403);

    const instant = await buildApp({ db: svc.db, config: { ...svc.config, ttl: { ...svc.config.ttl, downloadUrlSeconds: 0 } }, storage: svc.storage });
    const expiredUrl = (await instant.inject({ method: 'GET', url: `/v1/imports/${imp.id}?include_errors_json=true`, headers: { authorization: `Bearer ${key}` } })).json()._errors_json_url;
    await instant.close();
    const expired = await download(svc, expiredUrl);
    expect(expired.status).toBe(403);
    expect(JSON.parse(expired.text).error.code).toBe('url_expired');

    const clean = await uploadAndSettle(svc, key, 'external_id,name\nK2,Clean\n');
    const forged = signUrl('http://x', { method: 'GET', path: `/v1/downloads/${clean.id}/errors.csv`, importId: clean.id, expiresAt: Math.floor(Date.now() / 1000) + 60 }, parseSigningKeys(KEYS));
    expect((await download(svc, forged)).status).toBe(404);
  });
});

describe('save_upload: false', () => {
  it('keeps no copy of the upload (has_upload_file false) but still the errors file', async () => {
    const created = await createAsync(svc, key, { save_upload: false });
    expect((await put(svc, created._upload_url, BAD)).status).toBe(200);
    const imp = await svc.settle(created.id, key);
    expect(imp).toMatchObject({ status: 'completed', has_upload_file: false, has_errors_file: true });
    const urls = await withUrls(imp.id);
    expect(urls._upload_csv_url).toBeNull();
    expect(urls._upload_json_url).toBeNull();
    // The per-row results hold no cell of the upload (row, line, outcome, record id, error code).
    expect(storedFiles(imp)).toEqual(['errors.csv', 'errors.json', 'results.csv', 'results.json']);
  });
});

describe('retention', () => {
  it('deletes the files of imports finished longer ago than RETENTION_DAYS and turns the flags off', async () => {
    const k = await svc.newOrg();
    const old = await withUrls((await uploadAndSettle(svc, k, BAD)).id, k);
    const recent = await uploadAndSettle(svc, k, BAD);
    const waiting = await createAsync(svc, k);
    expect(storedFiles(old)).toEqual(['errors.csv', 'errors.json', 'results.csv', 'results.json', 'upload.csv', 'upload.json']);
    await svc.db.query(`UPDATE imports SET updated_at = now() - interval '31 days' WHERE id = ANY($1::text[])`, [[old.id, waiting.id]]);

    expect(await sweepRetention(svc.db, svc.storage, svc.config.ttl.retentionDays)).toBeGreaterThanOrEqual(1);
    const swept = await withUrls(old.id, k);
    expect(swept).toMatchObject({ has_upload_file: false, has_errors_file: false, has_results_file: false, _upload_csv_url: null, _errors_csv_url: null });
    expect(storedFiles(old)).toEqual([]);
    expect((await download(svc, old._errors_csv_url)).status).toBe(404); // a URL minted before
    // The row errors themselves stay readable through the API.
    expect((await svc.call('GET', `/v1/imports/${old.id}/errors`, k)).body.data).toHaveLength(4);

    expect(await withUrls(recent.id, k)).toMatchObject({ has_upload_file: true, has_errors_file: true });
    expect(storedFiles(recent)).toHaveLength(6);
    expect((await withUrls(waiting.id, k)).status).toBe('requested'); // not finished: not swept
    expect(await sweepRetention(svc.db, svc.storage, svc.config.ttl.retentionDays)).toBe(0); // each import once
  });
});
