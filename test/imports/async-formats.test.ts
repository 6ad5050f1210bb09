import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { contactFiles, EXPECTED_ERRORS, EXPECTED_STATS, HEADERS, xlsx } from '../support/contact-files.js';
import { put, uploadAndSettle, createAsync } from '../support/uploads.js';

// Acceptance: the same contacts uploaded as CSV (every delimiter; UTF-8 with and without BOM,
// UTF-16 LE/BE with BOM, Windows-1252; LF and CRLF; a quoted line break), XLSX, a JSON array
// and NDJSON end with identical records, stats and row errors — each into an organization of
// its own. The format is read from the bytes: the Content-Type sent is deliberately wrong.

let svc: TestService;
let files: Record<string, Buffer>;

beforeAll(async () => {
  // Small batches, so even this file is staged over several committed batches.
  svc = await startService({ BATCH_ROWS: '3' });
  files = await contactFiles();
});
afterAll(async () => svc?.close());

type Outcome = { imp: any; records: any[]; errors: [number, string][] };

async function importInNewOrg(file: Buffer, contentType = 'application/octet-stream'): Promise<Outcome> {
  const key = await svc.newOrg();
  const created = await createAsync(svc, key);
  const up = await put(svc, created._upload_url, file, { 'content-type': contentType });
  expect(up.status, JSON.stringify(up.body)).toBe(200);
  const imp = await svc.settle(created.id, key);
  const records = (await svc.call('GET', '/v1/resources/contact/records?limit=100', key)).body.data
    .map(({ id, created_at, updated_at, ...rest }: any) => rest)
    .sort((a: any, b: any) => a.external_id.localeCompare(b.external_id));
  const errors = (await svc.call('GET', `/v1/imports/${created.id}/errors?limit=100`, key)).body.data.map((e: any) => [e.row, e.code]);
  return { imp, records, errors };
}

describe('every format and encoding ends with the same records and stats', () => {
  const outcomes: Record<string, Outcome> = {};

  it('imports each file', async () => {
    const wrongTypes = ['text/csv', 'application/json', 'application/vnd.ms-excel', 'text/plain; charset=iso-8859-1', 'garbage'];
    let n = 0;
    for (const [name, file] of Object.entries(files)) {
      const outcome = await importInNewOrg(file, wrongTypes[n++ % wrongTypes.length]);
      expect(outcome.imp.status, `${name}: ${outcome.imp.reason}`).toBe('completed');
      outcomes[name] = outcome;
    }
  });

  it('gives identical stats, row errors at the rows a person sees, and identical records', () => {
    const [first, ...others] = Object.entries(outcomes);
    expect(first).toBeDefined();
    const [, reference] = first!;
    expect(reference.imp.stats).toMatchObject(EXPECTED_STATS);
    expect(statsAddUp(reference.imp.stats)).toBe(true);
    expect(reference.errors).toEqual(EXPECTED_ERRORS);
    expect(reference.records.map((r) => r.external_id)).toEqual(['C1', 'C2', 'C4', 'C5', 'C7']);
    expect(reference.records[0]).toMatchObject({ name: 'Zoë Müller', email: 'zoe@example.com', phone: '+49 30 1234', notes: 'Line one\nLine two' });
    expect(reference.records[1]).toMatchObject({ name: 'José Núñez', email: 'jose@example.com', notes: 'Paid 12,50 € on 1;2|3' });
    expect(reference.records[2]).toMatchObject({ name: 'François "Frank" Dupont' });
    for (const [name, o] of others) {
      expect(o.imp.stats, name).toEqual(reference.imp.stats);
      expect(o.errors, name).toEqual(reference.errors);
      expect(o.records, name).toEqual(reference.records);
    }
  });

  it('maps the same headers the same way in every format, and stores the mapping applied', () => {
    const expected = { external_id: 'External ID', name: 'Full Name', email: 'E-mail Address', phone: 'Phone', notes: 'Notes' };
    for (const [name, o] of Object.entries(outcomes)) expect(o.imp.column_mapping, name).toEqual(expected);
  });

  it('records the checksum of the bytes as uploaded', async () => {
    const { createHash } = await import('node:crypto');
    for (const [name, o] of Object.entries(outcomes)) {
      expect(o.imp.checksum, name).toBe(`sha256:${createHash('sha256').update(files[name]!).digest('hex')}`);
    }
  });
});

describe('sync data URLs', () => {
  it('accepts a base64 data URL of an XLSX and gives the same result as the upload', async () => {
    const viaUpload = await importInNewOrg(await xlsx());
    const key = await svc.newOrg();
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync',
      data: `data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,${(await xlsx()).toString('base64')}`,
    });
    expect(res.status).toBe(201);
    const imp = await svc.settle(res.body.id, key);
    expect(imp.status).toBe('completed');
    expect(imp.stats).toEqual(viaUpload.imp.stats);
    const records = (await svc.call('GET', '/v1/resources/contact/records?limit=100', key)).body.data
      .map(({ id, created_at, updated_at, ...rest }: any) => rest)
      .sort((a: any, b: any) => a.external_id.localeCompare(b.external_id));
    expect(records).toEqual(viaUpload.records);
  });
});

describe('XLSX specifics', () => {
  it('reads the first sheet only, with real dates, and numbers rows as the sheet does', async () => {
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Contacts');
    ws.addRow(['External ID', 'Name', 'Email', 'Notes']);
    ws.addRow(['D1', 'Dated', 'd1@example.com', new Date(Date.UTC(2024, 1, 29))]);
    ws.addRow(['D2', 'Two', 'd2@example.com', 42]);
    // Sheet row 4 left empty: the next row is sheet row 5, data row 4, and errors say so.
    ws.getRow(5).values = ['D3', 'Bad', 'nope', ''];
    wb.addWorksheet('Second').addRow(['External ID', 'Name']);
    const key = await svc.newOrg();
    const imp = await uploadAndSettle(svc, key, Buffer.from(await wb.xlsx.writeBuffer()));
    expect(imp.status).toBe('completed');
    expect(imp.stats).toMatchObject({ total: 3, created: 2, errors: 1 });
    const records = (await svc.call('GET', '/v1/resources/contact/records', key)).body.data;
    expect(records.map((r: any) => [r.external_id, r.notes]).sort()).toEqual([['D1', '2024-02-29'], ['D2', '42']]);
    const errors = (await svc.call('GET', `/v1/imports/${imp.id}/errors`, key)).body.data;
    expect(errors.map((e: any) => [e.row, e.code, e.field])).toEqual([[4, 'invalid_value', 'email']]);
  });
});

describe('column mapping of uploaded files', () => {
  it('400 at creation for a mapping naming an unknown field', async () => {
    const key = await svc.newOrg();
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'async', column_mapping: { mail: 'E-mail Address' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_column_mapping');
    expect(res.body.error.message).toContain('"mail" is not a field of contact');
  });

  it('fails the import, naming the column, when a mapped header is missing from the file', async () => {
    const key = await svc.newOrg();
    const imp = await uploadAndSettle(svc, key, files['csv comma, UTF-8, LF']!, { column_mapping: { name: 'Full Name', email: 'Email' } });
    expect(imp.status).toBe('failed');
    expect(imp.reason).toBe('invalid_header: column "Email" (mapped to email) is not in the file');
  });

  it('fails the import naming a duplicate or blank header', async () => {
    const key = await svc.newOrg();
    const dup = await uploadAndSettle(svc, key, 'Name,Email,name\nAnn,a@example.com,x\n');
    expect(dup.status).toBe('failed');
    expect(dup.reason).toMatch(/^invalid_header: .*"Name" and "name"/);
    const blank = await uploadAndSettle(svc, key, 'Name,,Email\nAnn,x,a@example.com\n');
    expect(blank.status).toBe('failed');
    expect(blank.reason).toMatch(/^invalid_header: Column 2 has a blank header/);
    const xlsxBlank = await uploadAndSettle(svc, key, await xlsx(['External ID', null, 'E-mail Address'], [['X1', 'y', 'x1@example.com']]));
    expect(xlsxBlank.status).toBe('failed');
    expect(xlsxBlank.reason).toMatch(/^invalid_header: Column B has a blank header/);
  });

  it('maps by synonym and stores the mapping applied when none is given', async () => {
    const key = await svc.newOrg();
    const imp = await uploadAndSettle(svc, key, 'ext id;CONTACT NAME;e_mail;Telephone\nS1;Sam;sam@example.com;1\n');
    expect(imp.status).toBe('completed');
    expect(imp.column_mapping).toMatchObject({ external_id: 'ext id', name: 'CONTACT NAME', phone: 'Telephone' });
  });
});

describe('unreadable files', () => {
  it('fails with unreadable_file and a reason, keeping no file', async () => {
    const key = await svc.newOrg();
    const created = await createAsync(svc, key);
    await put(svc, created._upload_url, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]));
    const imp = await svc.settle(created.id, key);
    expect(imp.status).toBe('failed');
    expect(imp.reason).toMatch(/^unreadable_file: .*legacy \.xls/);
    expect(imp).toMatchObject({ has_upload_file: false, has_errors_file: false });
    expect(await svc.storage.exists(`imports/${imp.organization_id}/${imp.id}/upload.csv`)).toBe(false);
  });

  it('an empty file fails the import instead of completing with nothing', async () => {
    const key = await svc.newOrg();
    const imp = await uploadAndSettle(svc, key, Buffer.alloc(0));
    expect(imp.status).toBe('failed');
    expect(imp.reason).toMatch(/^unreadable_file: The file is empty/);
  });

  it('a file of headers only fails with no_valid_rows', async () => {
    const key = await svc.newOrg();
    const imp = await uploadAndSettle(svc, key, `${HEADERS.join(',')}\n`);
    expect(imp.status).toBe('failed');
    expect(imp.reason).toBe('no_valid_rows: the file has no data rows');
  });
});
