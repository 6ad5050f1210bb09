import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, statsAddUp, type TestService } from '../support/service.js';

// Issue acceptance: a sync merge of 1,000 contacts — some invalid, some duplicated, some naming
// locations by code or by name, some by a name two locations share — then the same import
// again (everything unchanged, nothing written), and another organization seeing nothing.

let svc: TestService;
let key: string;
const loc: Record<string, string> = {};

async function syncImport(body: Record<string, unknown>, k = key) {
  const res = await svc.call('POST', '/v1/imports', k, { upload_mode: 'sync', action: 'merge', ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

beforeAll(async () => {
  svc = await startService();
  key = await svc.newOrg('Acme');
  const created = await syncImport({
    resource: 'location',
    data: [
      { code: 'WH-1', name: 'Berlin Hub', address_line1: 'Hauptstr. 1', city: 'Berlin', country: 'DE' },
      { code: 'WH-2', name: 'Shared Name', address_line1: 'A 1', city: 'Paris', country: 'fr' },
      { code: 'WH-3', name: 'Shared Name', address_line1: 'B 2', city: 'Lyon', country: 'FR' },
      { code: 'WH-4', name: 'Hamburg', address_line1: 'Hafen 4', city: 'Hamburg', country: 'DE' },
    ],
  });
  const done = await svc.settle(created.id, key);
  expect(done.status).toBe('completed');
  const records = await svc.call('GET', '/v1/resources/location/records?limit=100', key);
  for (const r of records.body.data) loc[r.code] = r.id;
  expect(Object.keys(loc)).toHaveLength(4);
});

afterAll(async () => svc?.close());

interface ContactRow {
  external_id: string;
  name: string;
  email: string;
  locations?: string;
}

function contacts(): ContactRow[] {
  const rows: ContactRow[] = [];
  const refs = ['WH-1', 'Hamburg', 'Shared Name', undefined];
  for (let i = 1; i <= 950; i++) {
    const r: ContactRow = { external_id: `C${i}`, name: `Person ${i}`, email: i % 10 === 0 ? 'not-an-email' : `Person${i}@Example.com` };
    const ref = refs[i % 4];
    if (ref) r.locations = ref;
    rows.push(r);
  }
  for (let i = 951; i <= 1000; i++) rows.push({ external_id: `C${i - 950}`, name: `Duplicate of ${i - 950}`, email: `dup${i}@example.com` });
  return rows;
}

describe('sync merge of 1,000 contacts', () => {
  const rows = contacts();
  const rowNo = (i: number) => i + 1;
  const invalid = new Set(rows.flatMap((r, i) => (r.email === 'not-an-email' ? [rowNo(i)] : [])));
  // Rows sharing an external_id with another row that passed prevalidation.
  const byExt = new Map<string, number[]>();
  rows.forEach((r, i) => {
    if (!invalid.has(rowNo(i))) byExt.set(r.external_id, [...(byExt.get(r.external_id) ?? []), rowNo(i)]);
  });
  const duplicates = new Set([...byExt.values()].filter((g) => g.length > 1).flat());
  const ambiguous = new Set(
    rows.flatMap((r, i) => (r.locations === 'Shared Name' && !invalid.has(rowNo(i)) && !duplicates.has(rowNo(i)) ? [rowNo(i)] : [])),
  );
  const created = rows.length - invalid.size - duplicates.size - ambiguous.size;
  let importId: string;

  it('answers 201 queued with the two sync phases completed', async () => {
    const imp = await syncImport({ resource: 'contact', name: 'Contacts from CRM', data: rows });
    importId = imp.id;
    expect(imp).toMatchObject({ object: 'import', status: 'queued', resource: 'contact', action: 'merge', upload_mode: 'sync', duplicate_handling: 'ignore_all', name: 'Contacts from CRM', reason: null });
    expect(imp.id).toMatch(/^imp_[0-9a-f]{32}$/);
    expect(imp.phases.map((p: any) => [p.name, p.mode, p.status])).toEqual([
      ['prevalidation', 'sync', 'completed'],
      ['preparsing', 'sync', 'completed'],
      ['transforming', 'async', 'pending'],
      ['parsing', 'async', 'pending'],
      ['validation', 'async', 'pending'],
      ['processing', 'async', 'pending'],
      ['cleanup', 'async', 'pending'],
    ]);
    expect(imp.phases[0]).toMatchObject({ total: 1000, processed: 1000, error: invalid.size, success: 1000 - invalid.size });
    expect(imp.phases[1]).toMatchObject({ total: 1000 - invalid.size, error: duplicates.size });
    expect(Number.isInteger(imp.created_at) && imp.created_at < 1e11).toBe(true);
    expect(imp.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const f of ['_upload_url', '_upload_csv_url', '_upload_json_url', '_errors_csv_url', '_errors_json_url']) expect(imp[f]).toBeNull();
  });

  it('completes with the stats, phases and row errors the SPEC describes', async () => {
    const imp = await svc.settle(importId, key);
    expect(imp.status).toBe('completed');
    expect(imp.has_errors_file).toBe(true);
    expect(imp.stats).toEqual({
      total: 1000,
      created,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      overwritten: 0,
      duplicates: duplicates.size,
      errors: invalid.size + ambiguous.size,
      events: created,
    });
    expect(statsAddUp(imp.stats)).toBe(true);
    const byName = Object.fromEntries(imp.phases.map((p: any) => [p.name, p]));
    expect(byName.validation).toMatchObject({ status: 'completed', error: ambiguous.size, success: created });
    expect(byName.processing).toMatchObject({ status: 'completed', total: created, success: created });
    for (const p of imp.phases) {
      expect(p.status).toBe('completed');
      expect(p.total).toBe(p.success + p.error);
      expect(p.started_at).toBeLessThanOrEqual(p.completed_at);
    }

    const errors = await svc.call('GET', `/v1/imports/${importId}/errors?limit=100&page=1`, key);
    expect(errors.body.pagination).toEqual({ page: 1, limit: 100, has_more: true, total_count: invalid.size + duplicates.size + ambiguous.size });
    const all: any[] = [];
    for (let page = 1; ; page++) {
      const res = await svc.call('GET', `/v1/imports/${importId}/errors?limit=100&page=${page}`, key);
      all.push(...res.body.data);
      if (!res.body.pagination.has_more) break;
    }
    expect(all.map((e) => e.row)).toEqual([...invalid, ...duplicates, ...ambiguous].sort((a, b) => a - b));
    const first = (code: string) => all.find((e) => e.code === code);
    expect(first('invalid_value')).toMatchObject({ row: 10, phase: 'prevalidation', field: 'email', data: rows[9] });
    expect(first('invalid_value').message).toMatch(/email/);
    expect(first('duplicate')).toMatchObject({ row: 1, phase: 'preparsing', field: 'external_id' });
    expect(first('duplicate').message).toContain('row 951');
    expect(all.find((e) => e.row === 951).message).toContain('row 1');
    expect(first('ambiguous_reference')).toMatchObject({ phase: 'validation', field: 'locations' });
    expect(first('ambiguous_reference').message).toContain(loc['WH-2']);
  });

  it('reads the records back through the API, references resolved by code and by name', async () => {
    const all: any[] = [];
    for (let page = 1; ; page++) {
      const res = await svc.call('GET', `/v1/resources/contact/records?limit=100&page=${page}`, key);
      expect(res.status).toBe(200);
      all.push(...res.body.data);
      if (!res.body.pagination.has_more) break;
    }
    expect(all).toHaveLength(created);
    const byExt = new Map(all.map((c) => [c.external_id, c]));
    expect(byExt.get('C52')).toMatchObject({ object: 'contact', name: 'Person 52', email: 'person52@example.com', locations: [loc['WH-1']] });
    expect(byExt.get('C53')).toMatchObject({ locations: [loc['WH-4']] });
    expect(byExt.get('C55')?.locations).toBeNull();
    expect(byExt.get('C10')).toMatchObject({ name: 'Duplicate of 10' }); // row 10 was invalid, so its twin was no duplicate
    expect(byExt.has('C54')).toBe(false); // ambiguous reference
    expect(byExt.has('C1')).toBe(false); // duplicated, ignore_all
    expect(all[0].id).toMatch(/^con_/);
  });

  it('sending the same import again leaves every record unchanged and writes nothing', async () => {
    const before = await svc.call('GET', '/v1/resources/contact/records?limit=100', key);
    const again = await syncImport({ resource: 'contact', data: rows });
    const imp = await svc.settle(again.id, key);
    expect(imp.status).toBe('completed');
    expect(imp.stats).toMatchObject({ created: 0, updated: 0, unchanged: created, events: 0, duplicates: duplicates.size, errors: invalid.size + ambiguous.size });
    const after = await svc.call('GET', '/v1/resources/contact/records?limit=100', key);
    expect(after.body.data).toEqual(before.body.data); // updated_at untouched too
    const events = await svc.call('GET', `/v1/events?import_id=${again.id}`, key);
    expect(events.body.pagination.total_count).toBe(0);
  });

  it('another organization gets 404 for the import and sees none of the records', async () => {
    const other = await svc.newOrg('Globex');
    expect((await svc.call('GET', `/v1/imports/${importId}`, other)).status).toBe(404);
    expect((await svc.call('GET', `/v1/imports/${importId}/errors`, other)).status).toBe(404);
    const list = await svc.call('GET', '/v1/imports', other);
    expect(list.body.data).toEqual([]);
    for (const r of ['contact', 'location']) {
      const recs = await svc.call('GET', `/v1/resources/${r}/records`, other);
      expect(recs.body).toEqual({ data: [], pagination: { page: 1, limit: 10, has_more: false, total_count: 0 } });
    }
    const events = await svc.call('GET', `/v1/events?import_id=${importId}`, other);
    expect(events.body.data).toEqual([]);
  });
});
