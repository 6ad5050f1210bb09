import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFiles } from '../support/contact-files.js';
import { startService, type TestService } from '../support/service.js';
import { download, uploadAndSettle } from '../support/uploads.js';

// `line`: where a person finds a removed row in their file (header = 1), beside SPEC §8's
// `row`, in the API's row errors, the errors CSV and the errors JSON. The contact files' first
// record has a quoted line break, so in CSV every later record starts one line further down
// than its row number says; in XLSX the sheet row; NDJSON the physical line (it has no header);
// a JSON array and sync `data` rows: row + 1.

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ BATCH_ROWS: '3' });
});
afterAll(async () => svc?.close());

async function lines(file: Buffer | string, body: Record<string, unknown> = {}) {
  const key = await svc.newOrg();
  const imp = await uploadAndSettle(svc, key, file, body);
  expect(imp.status, imp.reason).toBe('completed');
  const errors = (await svc.call('GET', `/v1/imports/${imp.id}/errors?limit=100`, key)).body.data;
  return { key, imp, got: errors.map((e: any) => [e.row, e.line, e.code]) };
}

describe('row errors carry the line a person sees', () => {
  it('in every format: CSV physical lines (quoted line breaks counted), sheet rows, NDJSON lines, row + 1 for JSON arrays', async () => {
    const files = await contactFiles();
    const csv = [
      [3, 5, 'invalid_value'],
      [6, 8, 'duplicate'],
      [7, 9, 'duplicate'],
    ];
    for (const [name, file] of Object.entries(files)) {
      const expected = name.startsWith('csv')
        ? csv
        : name === 'ndjson'
          ? [[3, 3, 'invalid_value'], [6, 6, 'duplicate'], [7, 7, 'duplicate']]
          : [[3, 4, 'invalid_value'], [6, 7, 'duplicate'], [7, 8, 'duplicate']]; // xlsx, json array
      expect((await lines(file)).got, name).toEqual(expected);
    }
  });

  it('CSV: blank lines and multi-line cells before a row move its line, not its row; CRLF inside a cell counts once', async () => {
    const text = 'external_id,name,email,notes\r\n\r\nA1,Ann,a1@example.com,"one\r\ntwo\r\nthree"\r\nA2,Bad,nope,x\r\n\r\nA3,Cy,"bad\nmail",\r\n';
    // Records: header (line 1), blank (2), A1 (3-5), A2 (6), blank (7), A3 (8-9).
    expect((await lines(text)).got).toEqual([
      [3, 6, 'invalid_value'],
      [5, 8, 'invalid_value'],
    ]);
  });

  it('XLSX: the sheet row number, empty sheet rows included', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Contacts');
    ws.addRow(['External ID', 'Name', 'Email']);
    ws.addRow(['X1', 'One', 'x1@example.com']);
    ws.getRow(6).values = ['X2', 'Bad', 'nope'];
    const { got } = await lines(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(got).toEqual([[5, 6, 'invalid_value']]);
  });

  it('the errors CSV has row, line, phase, code, field, message; the errors JSON has line beside row', async () => {
    const { key, imp } = await lines((await contactFiles())['csv comma, UTF-8, LF']!);
    const withUrls = (await svc.call('GET', `/v1/imports/${imp.id}?include_errors_csv=true&include_errors_json=true`, key)).body;
    const csv = (await download(svc, withUrls._errors_csv_url)).text.replace(/^\uFEFF/, '').split(/\r?\n/);
    expect(csv[0]).toBe('_import_row,_import_line,_import_phase,_import_code,_import_field,_import_message,External ID,Full Name,E-mail Address,Phone,Notes');
    expect(csv[1]!.startsWith('3,5,prevalidation,invalid_value,email,')).toBe(true);
    const json = JSON.parse((await download(svc, withUrls._errors_json_url)).text);
    expect(json.map((e: any) => [e.row, e.line])).toEqual([[3, 5], [6, 8], [7, 9]]);
  });

  it('sync data rows: row + 1', async () => {
    const key = await svc.newOrg();
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact',
      action: 'merge',
      upload_mode: 'sync',
      data: [{ external_id: 'S1', name: 'A', email: 's1@example.com' }, { external_id: 'S2', name: 'B', email: 'nope' }],
    });
    expect(res.status).toBe(201);
    const imp = await svc.settle(res.body.id, key);
    const errors = (await svc.call('GET', `/v1/imports/${imp.id}/errors`, key)).body.data;
    expect(errors.map((e: any) => [e.row, e.line])).toEqual([[2, 3]]);
  });
});
