import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';
import { expireUploads } from '../../src/worker/file-sweeps.js';

// Review before running (issue 15): an async import created with `review: true` stores its
// file and waits `requested`; GET …/preview shows how the file would be read and mapped; POST
// …/start queues it, with a mapping fixed by hand if need be.

let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService();
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

const view = async (id: string, k = key) => (await svc.call('GET', `/v1/imports/${id}`, k)).body;
const preview = (id: string, k = key) => svc.call('GET', `/v1/imports/${id}/preview`, k);
const start = (id: string, body?: unknown, k = key) => svc.call('POST', `/v1/imports/${id}/start`, k, body);

/** Creates a review import and uploads `file`; returns the import id. */
async function reviewed(file: Buffer | string, body: Record<string, unknown> = {}, k = key): Promise<string> {
  const created = await createAsync(svc, k, { review: true, ...body });
  const up = await put(svc, created._upload_url, file);
  expect(up.status, JSON.stringify(up.body)).toBe(200);
  expect(up.body.status).toBe('requested');
  return created.id;
}

const EXPORT = [
  'external_id;Full Name;Email;Mobile Phone Number;Shoe Size',
  'P1;Ada Lovelace;ada@example.com;+44 20 7946 0001;38',
  'P2;Alan Turing;alan@example.com;;44',
  'P3;Grace Hopper;grace@example.com;+1 555 0100;',
].join('\r\n');

describe('creating a review import', () => {
  it('review with sync → 400 naming review; without review nothing changes', async () => {
    const bad = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', review: true, data: [{ name: 'A' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.details).toEqual([{ field: 'review', message: 'only allowed with upload_mode "async"' }]);
    const plain = await createAsync(svc, key);
    expect(plain).toMatchObject({ review: false, awaiting_start: false, status: 'requested' });
    const up = await put(svc, plain._upload_url, 'external_id,name\nX1,A\n');
    expect(up.body.status).toBe('queued');
    expect(await svc.settle(plain.id, key)).toMatchObject({ status: 'completed', review: false, awaiting_start: false });
    expect((await preview(plain.id)).status).toBe(409);
    expect((await start(plain.id)).body.error.code).toBe('invalid_state');
  });

  it('the upload is stored and the import waits requested: no phase runs, no second upload, no upload URL', async () => {
    const created = await createAsync(svc, key, { review: true });
    expect(created).toMatchObject({ review: true, awaiting_start: false, status: 'requested' });
    expect(created._upload_url).toEqual(expect.any(String));
    const early = await preview(created.id);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/not been uploaded yet/);
    expect((await put(svc, created._upload_url, EXPORT)).body).toMatchObject({ status: 'requested', object: 'upload' });
    const again = await put(svc, created._upload_url, EXPORT);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('upload_already_received');
    await svc.runner.drain();
    const imp = await view(created.id);
    expect(imp).toMatchObject({ status: 'requested', awaiting_start: true, _upload_url: null, checksum: expect.stringMatching(/^sha256:/) });
    expect(imp.phases.every((p: any) => p.status === 'pending')).toBe(true);
    const listed = (await svc.call('GET', '/v1/imports?status=requested', key)).body.data.find((i: any) => i.id === created.id);
    expect(listed.awaiting_start).toBe(true);
  });
});

describe('the preview', () => {
  it('CSV: format, encoding, delimiter, headers, first rows, how each header maps, what is missing', async () => {
    const id = await reviewed(EXPORT);
    const res = await preview(id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      object: 'import_preview',
      import_id: id,
      format: 'csv',
      encoding: 'utf-8',
      delimiter: ';',
      headers: ['external_id', 'Full Name', 'Email', 'Mobile Phone Number', 'Shoe Size'],
      missing_required: [],
      missing_lookup_keys: [],
      mass_delete_max_ratio: 0.5,
    });
    expect(res.body.rows).toEqual([
      ['P1', 'Ada Lovelace', 'ada@example.com', '+44 20 7946 0001', '38'],
      ['P2', 'Alan Turing', 'alan@example.com', '', '44'],
      ['P3', 'Grace Hopper', 'grace@example.com', '+1 555 0100', ''],
    ]);
    expect(res.body.columns).toEqual([
      { header: 'external_id', field: 'external_id', match: 'exact' },
      { header: 'Full Name', field: 'name', match: 'synonym' },
      { header: 'Email', field: 'email', match: 'normalised' },
      { header: 'Mobile Phone Number', field: 'phone', match: 'synonym' },
      { header: 'Shoe Size', field: null, match: null },
    ]);
    const fields = Object.fromEntries(res.body.fields.map((f: any) => [f.name, f]));
    expect(fields.id).toMatchObject({ mapped_from: null, required_to_create: false });
    expect(fields.name).toEqual({ name: 'name', type: 'string', required_to_create: true, lookup_key: false, mapped_from: 'Full Name' });
    expect(fields.email).toMatchObject({ lookup_key: true, mapped_from: 'Email' });
    expect(fields.groups).toMatchObject({ type: 'array', mapped_from: null });
  });

  it('XLSX: no encoding or delimiter, cells as text', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('People');
    ws.addRow(['SKU', 'Product Name', 'Value']);
    ws.addRow(['A-1', 'Widget', 1250]);
    ws.addRow(['A-2', null, 99.5]);
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    const id = await reviewed(file, { resource: 'item' });
    const res = await preview(id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null, headers: ['SKU', 'Product Name', 'Value'], missing_required: [] });
    expect(res.body.rows).toEqual([
      ['A-1', 'Widget', '1250'],
      ['A-2', null, '99.5'],
    ]);
    expect(res.body.columns.map((c: any) => [c.field, c.match])).toEqual([
      ['sku', 'normalised'],
      ['name', 'synonym'],
      ['value', 'normalised'],
    ]);
    expect(res.body.missing_lookup_keys).toEqual(['external_id', 'gtin']);
  });

  it('JSON and NDJSON: keys of later rows are columns too; non-text values as text', async () => {
    const objects = [{ name: 'Ada', metadata: { team: 'math' } }, { name: 'Alan', 'Cell': 5550100, active: true }];
    for (const [format, text] of [
      ['json', JSON.stringify(objects)],
      ['ndjson', objects.map((o) => JSON.stringify(o)).join('\n')],
    ] as const) {
      const id = await reviewed(text);
      const res = await preview(id);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ format, encoding: 'utf-8', delimiter: null, headers: ['name', 'metadata', 'Cell', 'active'] });
      expect(res.body.rows).toEqual([
        ['Ada', '{"team":"math"}', null, null],
        ['Alan', null, '5550100', 'true'],
      ]);
      expect(res.body.columns.map((c: any) => c.field)).toEqual(['name', 'metadata', 'phone', null]);
      expect(res.body.missing_lookup_keys).toEqual(['external_id', 'email']);
    }
  });

  it('shows at most 20 rows, reading only the start of the file', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `R${i},Person ${i}`);
    const id = await reviewed(['external_id,name', ...rows].join('\n'));
    const res = await preview(id);
    expect(res.body.rows).toHaveLength(20);
    expect(res.body.rows[19]).toEqual(['R19', 'Person 19']);
  });

  it('a file that cannot be read → 422 with the message prevalidation gives', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)]);
    const id = await reviewed(ole);
    const res = await preview(id);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'unreadable_file', details: { code: 'unreadable_file' } });
    expect(res.body.error.message).toMatch(/legacy \.xls/);
  });

  it('a column_mapping given at creation shows as given; the headers it leaves out are ignored', async () => {
    const id = await reviewed('Email,First Name,Handy\nada@example.com,Ada,+44 1\n', { column_mapping: { email: 'Email', name: 'First Name' } });
    const res = await preview(id);
    expect(res.body.columns).toEqual([
      { header: 'Email', field: 'email', match: 'given' },
      { header: 'First Name', field: 'name', match: 'given' },
      { header: 'Handy', field: null, match: null },
    ]);
    expect(res.body.missing_required).toEqual([]);
  });

  it("another organization's import is 404, for preview and start", async () => {
    const id = await reviewed(EXPORT);
    const other = await svc.newOrg('Other');
    expect((await preview(id, other)).status).toBe(404);
    expect((await start(id, undefined, other)).status).toBe(404);
    expect((await view(id)).awaiting_start).toBe(true);
  });
});

describe('starting', () => {
  const NEEDS_HELP = ['First Name,Surname,Handy,Work E-mail', 'Ada,Lovelace,+44 1,ada@example.com', 'Alan,Turing,+44 2,alan@example.com', 'Grace,Hopper,bad,grace@example.com'].join('\n');

  it('a header that needs manual mapping: the preview flags it, start with the mapping completes with the right stats', async () => {
    const k = await svc.newOrg('Manual mapping');
    const id = await reviewed(NEEDS_HELP, {}, k);
    const p = (await preview(id, k)).body;
    expect(p.columns.every((c: any) => c.field === null)).toBe(true);
    expect(p.missing_required).toEqual(['name']);
    expect(p.missing_lookup_keys).toEqual(['external_id', 'email']);
    expect(p.existing_records).toBe(0);

    const mapping = { name: 'First Name', phone: 'Handy', email: 'Work E-mail' };
    const res = await start(id, { column_mapping: mapping, duplicate_handling: 'use_first' }, k);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'queued', awaiting_start: false, duplicate_handling: 'use_first', column_mapping: mapping });
    const done = await svc.settle(id, k);
    expect(done.status, done.reason).toBe('completed');
    expect(done.stats).toMatchObject({ total: 3, created: 3, errors: 0 });
    expect(statsAddUp(done.stats)).toBe(true);
    const records = (await svc.call('GET', '/v1/resources/contact/records?limit=10', k)).body.data;
    expect(records.map((r: any) => [r.name, r.phone]).sort()).toEqual([['Ada', '+44 1'], ['Alan', '+44 2'], ['Grace', 'bad']]);

    // Started: no second start, no preview; the next review import counts the records.
    const twice = await start(id, undefined, k);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('invalid_state');
    expect((await preview(id, k)).status).toBe(409);
    const next = await reviewed(NEEDS_HELP, { action: 'overwrite' }, k);
    expect((await preview(next, k)).body.existing_records).toBe(3);
  });

  it('without a body: runs with the mapping the preview showed', async () => {
    const k = await svc.newOrg('Auto mapping');
    const id = await reviewed(EXPORT, {}, k);
    const res = await svc.app.inject({ method: 'POST', url: `/v1/imports/${id}/start`, headers: { authorization: `Bearer ${k}` } });
    expect(res.statusCode, res.body).toBe(200);
    const done = await svc.settle(id, k);
    expect(done).toMatchObject({ status: 'completed', stats: { created: 3 } });
    expect(done.column_mapping).toEqual({ external_id: 'external_id', name: 'Full Name', email: 'Email', phone: 'Mobile Phone Number' });
  });

  it('a bad mapping → 400 invalid_column_mapping, and the import still awaits start', async () => {
    const id = await reviewed(NEEDS_HELP);
    const unknownField = await start(id, { column_mapping: { nme: 'First Name' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.code).toBe('invalid_column_mapping');
    expect(unknownField.body.error.message).toMatch(/"nme" is not a field of contact/);
    expect((await start(id, { column_mapping: { name: 'First Name', email: 'First Name' } })).body.error.code).toBe('invalid_column_mapping');
    const unknownHeader = await start(id, { column_mapping: { name: 'Full Name' } });
    expect(unknownHeader.status).toBe(400);
    expect(unknownHeader.body.error).toMatchObject({ code: 'invalid_column_mapping', details: [{ field: 'name' }] });
    expect(unknownHeader.body.error.message).toMatch(/header "Full Name" is not in the file; its headers are: "First Name", "Surname", "Handy", "Work E-mail"/);
    const badOption = await start(id, { duplicate_handling: 'keep_all' });
    expect(badOption.status).toBe(400);
    const extra = await start(id, { colum_mapping: {} });
    expect(extra.status).toBe(400);
    expect((await view(id)).awaiting_start).toBe(true);
  });

  it('allow_mass_delete given at start lets an overwrite delete most records', async () => {
    const k = await svc.newOrg('Mass delete');
    const seed = await createAsync(svc, k);
    await put(svc, seed._upload_url, ['external_id,name', 'A,a', 'B,b', 'C,c', 'D,d'].join('\n'));
    expect((await svc.settle(seed.id, k)).stats.created).toBe(4);
    const id = await reviewed(['external_id,name', 'A,a'].join('\n'), { action: 'overwrite' }, k);
    const p = (await preview(id, k)).body;
    expect(p).toMatchObject({ existing_records: 4, mass_delete_max_ratio: 0.5 });
    expect((await start(id, { allow_mass_delete: true }, k)).status).toBe(200);
    const done = await svc.settle(id, k);
    expect(done).toMatchObject({ status: 'completed', reason: null, stats: { overwritten: 3 } });
  });
});

describe('a review import never started', () => {
  it('expires like an upload that never came, and cannot be started after', async () => {
    const id = await reviewed(EXPORT);
    await svc.db.query(`UPDATE imports SET upload_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expect((await start(id)).status).toBe(409);
    expect(await expireUploads(svc.db, svc.storage)).toBeGreaterThanOrEqual(1);
    const imp = await view(id);
    expect(imp).toMatchObject({ status: 'expired', awaiting_start: false });
    expect(imp.reason).toMatch(/^expired: the file was uploaded for review but the import was never started/);
    expect((await start(id)).body.error.code).toBe('invalid_state');
  });
});

describe('unmapped headers are named when rows fail for a missing identity or required field', () => {
  it('First Name, Last Name, Mobile Phone Number: the reason and the row errors say which columns mapped to nothing', async () => {
    const k = await svc.newOrg('Typical export');
    const created = await createAsync(svc, k);
    await put(svc, created._upload_url, ['First Name,Last Name,Mobile Phone Number', 'Ada,Lovelace,+44 1', 'Alan,Turing,+44 2'].join('\n'));
    const imp = await svc.settle(created.id, k);
    expect(imp.status).toBe('failed');
    expect(imp.column_mapping).toEqual({ phone: 'Mobile Phone Number' });
    expect(imp.reason).toMatch(/^no_valid_rows: no row passed every check; most common problem: missing_identity in 2 rows; the file's columns "First Name", "Last Name" map to no field: name the right ones in column_mapping/);
    const errors = (await svc.call('GET', `/v1/imports/${created.id}/errors`, k)).body.data;
    expect(errors).toHaveLength(2);
    expect(errors[0].message).toMatch(/Columns of the file that map to no field: "First Name", "Last Name"; if one of them holds a lookup key, name it in column_mapping\./);
  });

  it('with a key but no name: missing_required_field names the unmapped columns', async () => {
    const k = await svc.newOrg('No name');
    const created = await createAsync(svc, k);
    await put(svc, created._upload_url, ['Email,First Name,Last Name', 'ada@example.com,Ada,Lovelace'].join('\n'));
    const imp = await svc.settle(created.id, k);
    expect(imp.reason).toMatch(/most common problem: missing_required_field \(name\) in 1 row; the file's columns "First Name", "Last Name" map to no field/);
    const errors = (await svc.call('GET', `/v1/imports/${created.id}/errors`, k)).body.data;
    expect(errors[0]).toMatchObject({ code: 'missing_required_field', field: 'name' });
    expect(errors[0].message).toMatch(/Required to create: name\. Columns of the file that map to no field: "First Name", "Last Name"; if one of them holds name, name it in column_mapping\./);
  });
});

describe('the OpenAPI document', () => {
  it('has the preview and start operations with their named schemas, and review on create', async () => {
    const doc = (await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ImportPreview', 'StartImport', 'ColumnMatch']));
    expect(doc.paths['/v1/imports/{id}/preview'].get.operationId).toBe('previewImport');
    const startOp = doc.paths['/v1/imports/{id}/start'].post;
    expect(startOp.operationId).toBe('startImport');
    expect(startOp.requestBody.required).not.toBe(true);
    expect(JSON.stringify(startOp.requestBody.content)).toContain('#/components/schemas/StartImport');
    expect(doc.components.schemas.CreateImportRequest.properties.review.type).toBe('boolean');
    expect(doc.components.schemas.Import.required).toEqual(expect.arrayContaining(['review', 'awaiting_start']));
  });
});
