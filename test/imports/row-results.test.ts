import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importer } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';
import { download } from '../support/uploads.js';

// Issue 16: the per-row results download — one line per input row (row, line, outcome,
// record_id, error_code) — whose outcomes add up to the stats.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const FLAGS = 'include_results_csv=true&include_results_json=true';

async function results(key: string, id: string): Promise<{ csv: string[][]; json: any[] }> {
  const imp = (await svc.call('GET', `/v1/imports/${id}?${FLAGS}`, key)).body;
  expect(imp.has_results_file).toBe(true);
  const csvRes = await download(svc, imp._results_csv_url);
  expect(csvRes.status).toBe(200);
  expect(csvRes.headers['content-type']).toMatch(/^text\/csv/);
  const csv = Papa.parse<string[]>(csvRes.text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
  const jsonRes = await download(svc, imp._results_json_url);
  expect(jsonRes.status).toBe(200);
  return { csv, json: JSON.parse(jsonRes.text) };
}

const tally = (rows: { outcome: string }[]) => rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.outcome]: (m[r.outcome] ?? 0) + 1 }), {});

describe('per-row results', () => {
  it('a 10,000-row import: 10,000 lines whose outcomes add up to the stats, errors and duplicates with their codes', { timeout: 300_000 }, async () => {
    const key = await svc.newOrg();
    const t = importer(svc, key);
    await t.merge('item', Array.from({ length: 3000 }, (_, i) => ({ external_id: `I${i}`, name: `Item ${i}` })));
    const rows = Array.from({ length: 10_000 }, (_, i) => {
      if (i % 100 === 7) return { external_id: `I${i}`, name: `Item ${i}`, value: 'not a number' }; // invalid_value
      if (i % 100 === 8) return { external_id: 'I1', name: 'dup' }; // duplicate of row 2 (I1)
      if (i < 3000) return { external_id: `I${i}`, name: i % 2 ? `Renamed ${i}` : `Item ${i}` };
      return { external_id: `I${i}`, name: `Item ${i}` };
    });
    const imp = await t.run('item', 'merge', rows, { duplicate_handling: 'use_first' });
    expect(imp.status).toBe('completed');
    const { csv, json } = await results(key, imp.id);
    expect(csv[0]).toEqual(['row', 'line', 'outcome', 'record_id', 'error_code']);
    expect(csv).toHaveLength(10_001);
    expect(json).toHaveLength(10_000);
    expect(json.map((r) => r.row)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    const n = tally(json);
    const s = imp.stats;
    expect(n).toEqual(Object.fromEntries(Object.entries({ created: s.created, updated: s.updated, unchanged: s.unchanged, duplicate: s.duplicates, error: s.errors }).filter(([, v]) => v > 0)));
    expect(s.created + s.updated + s.unchanged + s.duplicates + s.errors).toBe(10_000);
    expect(json[7]).toMatchObject({ row: 8, line: 9, outcome: 'error', error_code: 'invalid_value' });
    expect(json[8]).toMatchObject({ row: 9, outcome: 'duplicate', error_code: 'duplicate' });
    const records = await t.byKey('item');
    expect(json[3500]).toMatchObject({ row: 3501, outcome: 'created', record_id: records.get('I3500').id, error_code: null });
    expect(json[1]).toMatchObject({ outcome: 'updated', record_id: records.get('I1').id });
    expect(json[2]).toMatchObject({ outcome: 'unchanged', record_id: records.get('I2').id });
    // The CSV says the same, cell for cell.
    expect(csv.slice(1).map(([row, line, outcome, record_id, code]) => ({ row: +row!, line: +line!, outcome, record_id: record_id || null, error_code: code || null }))).toEqual(json);
  });

  it('deletes, and a dry run: its results are its forecast', async () => {
    const key = await svc.newOrg();
    const t = importer(svc, key);
    await t.merge('item', [{ external_id: 'A', name: 'A' }, { external_id: 'B', name: 'B' }]);
    const dry = await t.run('item', 'delete', [{ external_id: 'A' }, { external_id: 'Z' }], { dry_run: true });
    const { json } = await results(key, dry.id);
    const ids = await t.byKey('item');
    expect(json).toEqual([
      { row: 1, line: 2, outcome: 'deleted', record_id: ids.get('A').id, error_code: null },
      { row: 2, line: 3, outcome: 'error', record_id: null, error_code: 'not_found' },
    ]);
    expect(ids.has('A')).toBe(true);
  });

  it('rows no phase decided, because the import was canceled first, are unprocessed', async () => {
    const key = await svc.newOrg();
    const created = await svc.call('POST', '/v1/imports', key, {
      resource: 'item',
      action: 'merge',
      upload_mode: 'sync',
      data: [{ external_id: 'A', name: 'A' }, { external_id: 'B', value: 'x' }],
    });
    expect((await svc.call('POST', `/v1/imports/${created.body.id}/cancel`, key)).body).toMatchObject({ status: 'failed', reason: 'canceled' });
    const { json } = await results(key, created.body.id);
    expect(json.map((r) => r.outcome)).toEqual(['unprocessed', 'error']);
  });

  it('no results URL is minted without the flag', async () => {
    const key = await svc.newOrg();
    const imp = await importer(svc, key).merge('item', [{ external_id: 'A', name: 'A' }]);
    const view = (await svc.call('GET', `/v1/imports/${imp.id}`, key)).body;
    expect(view).toMatchObject({ has_results_file: true, _results_csv_url: null, _results_json_url: null });
  });
});
