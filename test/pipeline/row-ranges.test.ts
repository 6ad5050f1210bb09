import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRangeRows, RANGE_TARGET_MS } from '../../src/pipeline/chunked-phase.js';
import { importer, place, type Row } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// Phases that work range by range (src/pipeline/chunked-phase.ts) must decide every row exactly
// as one pass over the whole file would. The same imports run with ranges of 3 rows and with
// the default (one range) must end with the same records, stats, phases and row errors.

const outcomes = new Map<string, unknown>();

// Contacts naming locations; invalid values, missing identities, duplicates, unknown and
// ambiguous references, rows naming existing records by different keys, spread over ranges.
const places = [place('L1'), place('L2'), place('L3', { name: 'Twin' }), place('L4', { name: 'Twin' })];
const existing: Row[] = Array.from({ length: 10 }, (_, i) => ({ external_id: `C${i}`, name: `Old ${i}`, email: `c${i}@example.com` }));
const file: Row[] = [
  ...Array.from({ length: 25 }, (_, i) => ({ external_id: `C${i}`, name: `Person ${i}`, email: `c${i}@example.com`, locations: `L${(i % 2) + 1}` })),
  { name: 'No identity' },
  { external_id: 'C3', name: 'Duplicate of row 4' },
  { external_id: 'C40', email: 'not an email' },
  { external_id: 'C41', name: 'Unknown place', locations: 'L9' },
  { external_id: 'C42', name: 'Ambiguous place', locations: 'Twin' },
  { email: 'c5@example.com', name: 'Same record as row 6, by email' },
  { external_id: 'C43', email: 'c6@example.com', name: 'Keys disagree' },
  { id: 'con_doesnotexist', name: 'Unknown id' },
  { external_id: 'C44', name: 'Needs nothing more', locations: ['L1', 'L2'] },
];

for (const [label, env] of [['one range', {}], ['ranges of 3 rows', { PHASE_CHUNK_ROWS: '3' }]] as const) {
  describe(label, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(env);
    });
    afterAll(async () => svc?.close());

    it('runs a merge and a delete to the end', async () => {
      const key = await svc.newOrg();
      const t = importer(svc, key);
      await t.merge('location', places);
      await t.merge('contact', existing);
      const merge = await t.merge('contact', file);
      const del = await t.run('contact', 'delete', [{ external_id: 'C1' }, { external_id: 'nobody' }, { email: 'c2@example.com' }, { external_id: 'C1' }]);
      const strip = (imp: any) => ({
        status: imp.status,
        stats: imp.stats,
        phases: imp.phases.map((p: Row) => [p.name, p.status, p.total, p.processed, p.success, p.error]),
      });
      const records = (await t.records('contact')).map(({ id: _i, created_at: _c, updated_at: _u, locations, ...r }) => ({ ...r, n: locations?.length ?? 0 }))
        .sort((a, b) => String(a.external_id).localeCompare(String(b.external_id)));
      // Record ids differ from one run to the other; everything else must not.
      const errors = [...(await t.errors(merge.id)), ...(await t.errors(del.id))].map((e) => ({
        ...e,
        message: String(e.message).replace(/\b(con|loc)_[0-9a-f]+/g, '$1_…'),
      }));
      expect(merge.status).toBe('completed');
      expect(errors.length).toBeGreaterThan(8);
      outcomes.set(label, { merge: strip(merge), del: strip(del), records, errors });
    });
  });
}

it('ranges change nothing in the outcome', () => {
  expect(outcomes.size).toBe(2);
  expect(outcomes.get('ranges of 3 rows')).toEqual(outcomes.get('one range'));
});

describe('range sizes on PGlite', () => {
  it('aim at RANGE_TARGET_MS from the last range, growing at most twofold, within 500..50,000 rows', () => {
    expect(nextRangeRows(5000, RANGE_TARGET_MS)).toBe(5000);
    expect(nextRangeRows(5000, 4 * RANGE_TARGET_MS)).toBe(1250);
    expect(nextRangeRows(5000, RANGE_TARGET_MS / 10)).toBe(10_000);
    expect(nextRangeRows(5000, 0)).toBe(10_000);
    expect(nextRangeRows(600, 60 * RANGE_TARGET_MS)).toBe(500);
    expect(nextRangeRows(40_000, RANGE_TARGET_MS / 2)).toBe(50_000);
  });
});
