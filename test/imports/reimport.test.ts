import fc from 'fast-check';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { download, uploadAndSettle } from '../support/uploads.js';
import { fcOptions } from '../properties/harness.js';

// The fix-and-reimport loop (README "Fixing rows and importing them again"): the errors CSV,
// with its bad cells fixed and otherwise unchanged, imports as the rows it holds — its
// `_import_*` columns are ignored and the formula guard comes off.

const KEYS = 'r1:reimport-secret-0123456789';
let svc: TestService;

beforeAll(async () => {
  svc = await startService({ SIGNING_KEYS: KEYS });
});
afterAll(async () => svc?.close());

const URLS = 'include_upload_csv=true&include_upload_json=true&include_errors_csv=true';

async function files(id: string, key: string) {
  const imp = (await svc.call('GET', `/v1/imports/${id}?${URLS}`, key)).body;
  const get = async (url: string | undefined) => (url ? (await download(svc, url)).text : null);
  return { errorsCsv: await get(imp._errors_csv_url), uploadCsv: await get(imp._upload_csv_url), uploadJson: await get(imp._upload_json_url) };
}

async function records(key: string, resource: string) {
  return (await svc.call('GET', `/v1/resources/${resource}/records?limit=100`, key)).body.data
    .map(({ id, created_at, updated_at, ...rest }: any) => rest)
    .sort((a: any, b: any) => String(a.external_id).localeCompare(String(b.external_id)));
}

const parse = (csv: string) => Papa.parse<string[]>(csv.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;

describe('the errors CSV of a location import', () => {
  it('fixed in one cell and uploaded as it is, completes with the fixed row created', async () => {
    const key = await svc.newOrg();
    const file = [
      'external_id,name,code,address_line1,city,country,phone',
      'L1,Depot,W-1,1 Main St,Springfield,US,+1 555 0100',
      'L2,Annex,=W2,2 Main St,Springfield,XX,+1 555 0100',
    ].join('\r\n');
    const first = await uploadAndSettle(svc, key, file, { resource: 'location' });
    expect(first.status).toBe('completed');
    expect(first.stats).toMatchObject({ created: 1, errors: 1 });

    const { errorsCsv } = await files(first.id, key);
    const rows = parse(errorsCsv!);
    // Its own `code` column and the location's `code` field no longer collide.
    expect(rows[0]).toEqual(['_import_row', '_import_line', '_import_phase', '_import_code', '_import_field', '_import_message', 'external_id', 'name', 'code', 'address_line1', 'city', 'country', 'phone']);
    expect(rows[1]!.slice(3, 5)).toEqual(['invalid_value', 'country']);
    expect(rows[1]!.slice(6)).toEqual(['L2', 'Annex', "'=W2", '2 Main St', 'Springfield', 'XX', "'+1 555 0100"]);

    // The person's fix: one cell, the rest of the file byte for byte as downloaded.
    const fixed = errorsCsv!.replace(',XX,', ',US,');
    expect(fixed).not.toBe(errorsCsv);
    const second = await uploadAndSettle(svc, key, fixed, { resource: 'location' });
    expect(second.status).toBe('completed');
    expect(second.stats).toMatchObject({ total: 1, created: 1, errors: 0 });
    expect(second.column_mapping).toEqual(Object.fromEntries(['external_id', 'name', 'code', 'address_line1', 'city', 'country', 'phone'].map((f) => [f, f])));
    expect(await records(key, 'location')).toEqual([
      expect.objectContaining({ external_id: 'L1', code: 'W-1', phone: '+1 555 0100', country: 'US' }),
      expect.objectContaining({ external_id: 'L2', name: 'Annex', code: '=W2', phone: '+1 555 0100', country: 'US' }),
    ]);
    // The re-upload's own original rows are the person's columns only.
    const again = await files(second.id, key);
    expect(parse(again.uploadCsv!)[0]).toEqual(['external_id', 'name', 'code', 'address_line1', 'city', 'country', 'phone']);
  });
});

describe('a contact phone +1 555 0100', () => {
  it('survives errors CSV → fix → re-upload, and the original-rows downloads hold it as uploaded', async () => {
    const key = await svc.newOrg();
    const file = 'External ID,Full Name,E-mail Address,Phone\r\nC1,Ann,not-an-email,+1 555 0100\r\n';
    const first = await uploadAndSettle(svc, key, file);
    expect(first.status).toBe('failed'); // its only row is invalid
    const { errorsCsv, uploadCsv, uploadJson } = await files(first.id, key);
    expect(JSON.parse(uploadJson!)).toEqual([{ 'External ID': 'C1', 'Full Name': 'Ann', 'E-mail Address': 'not-an-email', Phone: '+1 555 0100' }]);
    expect(parse(uploadCsv!)[1]).toEqual(['C1', 'Ann', 'not-an-email', "'+1 555 0100"]); // guarded for spreadsheets, reversibly

    const second = await uploadAndSettle(svc, key, errorsCsv!.replace('not-an-email', 'ann@example.com'));
    expect(second.status).toBe('completed');
    expect(await records(key, 'contact')).toEqual([expect.objectContaining({ external_id: 'C1', email: 'ann@example.com', phone: '+1 555 0100' })]);

    // upload.csv uploaded again gives the values as uploaded too.
    const other = await svc.newOrg();
    const third = await uploadAndSettle(svc, other, uploadCsv!.replace('not-an-email', 'ann@example.com'));
    expect(third.status).toBe('completed');
    expect(await records(other, 'contact')).toEqual(await records(key, 'contact'));
  });

  it('a column mapping cannot name a bookkeeping header', async () => {
    const key = await svc.newOrg();
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'location', action: 'merge', upload_mode: 'async', column_mapping: { code: '_import_code' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_column_mapping');
    expect(res.body.error.message).toContain('_import_');
  });
});

// Formula-like values: every start the guard cares about, quotes before them, and plain text.
const cell = fc
  .tuple(fc.constantFrom('', '=', '+', '-', '@', '\t', "'", "'=", "''+", "'-", 'a'), fc.string({ maxLength: 10 }))
  .map(([p, s]) => p + s)
  .filter((s) => !s.includes('BADMAIL'));

describe('original → errors CSV → re-upload (property)', () => {
  it('gives the same stored values as importing the fixed rows directly', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 6 }), async (cells) => {
        // Every row is bad (its email), so every row comes back in the errors CSV.
        const original = cells.map(([name, phone, notes], i) => ({ external_id: `P${i}`, name, email: 'BADMAIL', phone, notes }));
        const k1 = await svc.newOrg();
        const first = await uploadAndSettle(svc, k1, JSON.stringify(original));
        const { errorsCsv } = await files(first.id, k1);
        let n = 0;
        const fixedCsv = errorsCsv!.replace(/BADMAIL/g, () => `p${n++}@example.com`);
        expect(n).toBe(original.length);
        const viaCsv = await uploadAndSettle(svc, k1, fixedCsv);

        const k2 = await svc.newOrg();
        const fixedRows = original.map((r, i) => ({ ...r, email: `p${i}@example.com` }));
        const direct = await uploadAndSettle(svc, k2, JSON.stringify(fixedRows));
        expect(viaCsv.stats).toEqual(direct.stats);
        expect(await records(k1, 'contact')).toEqual(await records(k2, 'contact'));
        const errs = async (id: string, k: string) => (await svc.call('GET', `/v1/imports/${id}/errors?limit=100`, k)).body.data.map((e: any) => [e.row, e.code, e.field, e.message]);
        expect(await errs(viaCsv.id, k1)).toEqual(await errs(direct.id, k2));
      }),
      fcOptions(12),
    );
  });
});
