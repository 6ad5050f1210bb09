import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_COUNT_UP_TO } from '../../src/imports/list-page.js';
import { analyzeWhatImportWrote, ANALYZE_AFTER_ROWS } from '../../src/lifecycle/analyze-written.js';
import { EMPTY_STATS } from '../../src/domain/import.js';
import { importer } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// Reading at scale: cursor pagination (starting_after / ending_before, has_more) beside the
// compatible `page`, the filters of each list, total_count exact below the threshold and an
// estimate above it, one organization never seeing another's.

let svc: TestService;
let key: string;
let other: string;
let imp: ReturnType<typeof importer>;
let firstImport: any;
let bigImport: any;

const contact = (i: number) => ({ external_id: `E${String(i).padStart(4, '0')}`, name: `N${i}`, email: `n${i}@Example.com` });

async function get(url: string, k = key) {
  const res = await svc.call('GET', url, k);
  expect(res.status, `${url}: ${JSON.stringify(res.body).slice(0, 500)}`).toBe(200);
  return res.body;
}

beforeAll(async () => {
  svc = await startService();
  key = await svc.newOrg('A');
  other = await svc.newOrg('B');
  imp = importer(svc, key);
  firstImport = await imp.merge('contact', Array.from({ length: 25 }, (_, i) => contact(i)));
  await importer(svc, other).merge('contact', [contact(1), contact(2)]);
  // Updates 5 of them, with one invalid row.
  await imp.merge('contact', [...Array.from({ length: 5 }, (_, i) => ({ ...contact(i), name: `Renamed ${i}` })), { external_id: 'X', email: 'bad' }]);
  bigImport = await imp.merge('contact', Array.from({ length: 1100 }, (_, i) => contact(1000 + i)));
}, 180_000);
afterAll(async () => svc?.close());

describe('records', () => {
  it('pages forward by cursor through every record, in id order, and back with ending_before', async () => {
    const seen: any[] = [];
    let url = '/v1/resources/contact/records?limit=100';
    for (;;) {
      const page = await get(url);
      expect(page.pagination.page).toBe(seen.length === 0 ? 1 : null);
      seen.push(...page.data);
      if (!page.pagination.has_more) break;
      url = `/v1/resources/contact/records?limit=100&starting_after=${page.data.at(-1).id}`;
    }
    expect(seen).toHaveLength(1125);
    const ids = seen.map((r) => r.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1125);
    // Back from the 201st record: the 100 before it, in list order, with more before them.
    const back = await get(`/v1/resources/contact/records?limit=100&ending_before=${ids[200]}`);
    expect(back.data.map((r: any) => r.id)).toEqual(ids.slice(100, 200));
    expect(back.pagination.has_more).toBe(true);
    const first = await get(`/v1/resources/contact/records?limit=100&ending_before=${ids[50]}`);
    expect(first.data.map((r: any) => r.id)).toEqual(ids.slice(0, 50));
    expect(first.pagination.has_more).toBe(false);
    // `page` still works and agrees with the cursor.
    const page3 = await get('/v1/resources/contact/records?limit=100&page=3');
    expect(page3.data.map((r: any) => r.id)).toEqual(ids.slice(200, 300));
    expect(page3.pagination).toMatchObject({ page: 3, has_more: true });
    const res = await svc.call('GET', `/v1/resources/contact/records?page=2&starting_after=${ids[0]}`, key);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.field)).toEqual(['page', 'starting_after']);
  });

  it('filters by id, external_id, any lookup key (compared as stored) and updated_since', async () => {
    const one = await get('/v1/resources/contact/records?external_id=%20E0003%20');
    expect(one.data.map((r: any) => r.external_id)).toEqual(['E0003']);
    expect(one.data[0]).toMatchObject({ object: 'contact', name: 'Renamed 3', email: 'n3@example.com' });
    expect((await get('/v1/resources/contact/records?email=N3@EXAMPLE.COM')).data.map((r: any) => r.external_id)).toEqual(['E0003']);
    expect((await get(`/v1/resources/contact/records?id=${one.data[0].id}`)).data).toHaveLength(1);
    expect((await get('/v1/resources/contact/records?external_id=nope')).data).toEqual([]);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await get(`/v1/resources/contact/records?updated_since=${future}`)).data).toEqual([]);
    expect((await get('/v1/resources/contact/records?updated_since=0&limit=1')).pagination.total_count).toBeGreaterThan(EXACT_COUNT_UP_TO);
    // Lookup keys of another resource, or unknown filters: 400 naming them.
    const sku = await svc.call('GET', '/v1/resources/contact/records?sku=1', key);
    expect(sku.status).toBe(400);
    expect(sku.body.error.details[0].field).toBe('sku');
    expect((await svc.call('GET', '/v1/resources/location/records?code=WH-1', key)).status).toBe(200);
    expect((await svc.call('GET', '/v1/resources/widget/records', key)).body.error.code).toBe('unknown_resource');
  });

  it('never shows another organization\'s records', async () => {
    const theirs = await get('/v1/resources/contact/records?limit=100', other);
    expect(theirs.data).toHaveLength(2);
    expect(theirs.pagination).toEqual({ page: 1, limit: 100, total_count: 2, has_more: false });
    const mine = await get('/v1/resources/contact/records?limit=1');
    expect((await get(`/v1/resources/contact/records?id=${mine.data[0].id}`, other)).data).toEqual([]);
  });

  it(`total_count is exact up to ${EXACT_COUNT_UP_TO}, an estimate above unless include_total=true`, async () => {
    const small = await get('/v1/resources/contact/records?external_id=E0001');
    expect(small.pagination).toEqual({ page: 1, limit: 10, has_more: false, total_count: 1 });
    const big = await get('/v1/resources/contact/records?limit=1');
    expect(big.pagination.total_count_exact).toBe(false);
    expect(big.pagination.total_count).toBeGreaterThan(EXACT_COUNT_UP_TO);
    const exact = await get('/v1/resources/contact/records?limit=1&include_total=true');
    expect(exact.pagination).toEqual({ page: 1, limit: 1, has_more: true, total_count: 1125 });
  });
});

describe('imports, events and row errors', () => {
  it('pages imports newest first by cursor; an unknown cursor is a 400', async () => {
    const all = (await get('/v1/imports?limit=100')).data.map((i: any) => i.id);
    expect(all).toHaveLength(3);
    const p1 = await get('/v1/imports?limit=2');
    expect(p1.data.map((i: any) => i.id)).toEqual(all.slice(0, 2));
    const p2 = await get(`/v1/imports?limit=2&starting_after=${all[1]}`);
    expect(p2.data.map((i: any) => i.id)).toEqual(all.slice(2));
    expect(p2.pagination.has_more).toBe(false);
    expect((await get(`/v1/imports?limit=2&ending_before=${all[2]}`)).data.map((i: any) => i.id)).toEqual(all.slice(0, 2));
    const bad = await svc.call('GET', '/v1/imports?starting_after=imp_nope', key);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('starting_after');
    expect((await get('/v1/imports', other)).data).toHaveLength(1);
  });

  it('filters events by import, record, type and time, and pages them by cursor', async () => {
    const ofFirst = await get(`/v1/events?import_id=${firstImport.id}&limit=100`);
    expect(ofFirst.data).toHaveLength(25);
    expect(ofFirst.data.every((e: any) => e.type === 'record.created')).toBe(true);
    const updated = await get('/v1/events?type=record.updated&limit=100');
    expect(updated.data).toHaveLength(5);
    const record = updated.data[0].record_id;
    const history = await get(`/v1/events?record_id=${record}`);
    expect(history.data.map((e: any) => e.type)).toEqual(['record.created', 'record.updated']);
    const cursor = await get(`/v1/events?import_id=${firstImport.id}&limit=10&starting_after=${ofFirst.data[9].id}`);
    expect(cursor.data.map((e: any) => e.id)).toEqual(ofFirst.data.slice(10, 20).map((e: any) => e.id));
    const future = Math.floor(Date.now() / 1000) + 60;
    expect((await get(`/v1/events?since=${future}`)).data).toEqual([]);
    expect((await get('/v1/events?since=0&limit=1')).pagination.total_count).toBeGreaterThan(1000);
    expect((await get(`/v1/events?import_id=${firstImport.id}`, other)).data).toEqual([]);
    expect((await svc.call('GET', '/v1/events?type=record.moved', key)).status).toBe(400);
  });

  it('filters row errors by code and field, and pages them by row', async () => {
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync',
      data: [contact(1), { external_id: 'Y1', email: 'bad' }, { name: 'no key' }, { external_id: 'Y2', email: 'bad' }, { external_id: 'Y3', email: 'bad' }],
    });
    await svc.settle(res.body.id, key);
    const url = `/v1/imports/${res.body.id}/errors`;
    expect((await get(url)).data.map((e: any) => [e.row, e.code])).toEqual([[2, 'invalid_value'], [3, 'missing_identity'], [4, 'invalid_value'], [5, 'invalid_value']]);
    expect((await get(`${url}?code=missing_identity`)).data.map((e: any) => e.row)).toEqual([3]);
    expect((await get(`${url}?field=email&limit=1&starting_after=2`)).data.map((e: any) => e.row)).toEqual([4]);
    expect((await get(`${url}?ending_before=4`)).data.map((e: any) => e.row)).toEqual([2, 3]);
    expect((await svc.call('GET', `${url}?code=typo`, key)).status).toBe(400);
    expect((await svc.call('GET', `${url}?starting_after=abc`, key)).status).toBe(400);
  });
});

describe('planner statistics', () => {
  it('an import that wrote many rows analyzes the tables it wrote', async () => {
    const stats = { ...EMPTY_STATS, total: ANALYZE_AFTER_ROWS, created: ANALYZE_AFTER_ROWS, events: ANALYZE_AFTER_ROWS };
    expect(await analyzeWhatImportWrote(svc.db, { resource: 'contact', stats: { ...stats, created: 10, events: 10 } })).toEqual([]);
    expect(await analyzeWhatImportWrote(svc.db, { resource: 'contact', stats })).toEqual(['contacts', 'events']);
    const res = await svc.db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'contacts'`);
    expect(res.rows[0]!.n).toBeGreaterThanOrEqual(1100); // the statistics now see the rows
    expect(bigImport.stats.created).toBe(1100);
  });
});
