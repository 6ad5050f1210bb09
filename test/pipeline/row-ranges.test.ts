import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRangeRows, POSTGRES_RANGES, RANGE_TARGET_MS } from '../../src/pipeline/chunked-phase.js';
import { Released, runImport, type StopPoint } from '../../src/pipeline/run-import.js';
import { claimNext, release } from '../../src/lifecycle/transitions.js';
import { importer, place, type Row } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// Phases that work range by range (src/pipeline/chunked-phase.ts) must decide every row exactly
// as one pass over the whole file would. The same imports run with ranges of 3 rows and with
// the default (one range for a file this small) must end with the same records, stats, phases and row errors.

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

const variants = [
  ['one range', {}],
  ['ranges of 3 rows', { PHASE_CHUNK_ROWS: '3' }],
  ['ranges of 3 rows, each ranged phase stopped half-way once', { PHASE_CHUNK_ROWS: '3' }],
] as const;
/** Phases (per import) that were stopped before their second range, then resumed. */
const stopped = new Set<string>();

for (const [label, env] of variants) {
  describe(label, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(env);
      if (label !== variants[2][0]) return;
      // The worker stops before the second range of every ranged phase, once, hands the import
      // back to the queue, and a new run resumes it at that range.
      const settle = svc.settle.bind(svc);
      svc.settle = async (id, key) => {
        for (let claimed = await claimNext(svc.db, 'w', 60); claimed; claimed = await claimNext(svc.db, 'w', 60)) {
          const imp = claimed;
          const shouldStop = (next: StopPoint) => next.from === 4 && !stopped.has(`${imp.id}:${next.phase}`) && !!stopped.add(`${imp.id}:${next.phase}`);
          await runImport({ db: svc.db, config: svc.config, storage: svc.storage, shouldStop }, imp).catch(async (err: unknown) => {
            if (!(err instanceof Released)) throw err;
            await release(svc.db, imp);
          });
        }
        return settle(id, key);
      };
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

it('ranges, and runs stopped between them, change nothing in the outcome', () => {
  expect(outcomes.size).toBe(3);
  expect(outcomes.get(variants[1][0])).toEqual(outcomes.get(variants[0][0]));
  expect(outcomes.get(variants[2][0])).toEqual(outcomes.get(variants[0][0]));
  // Of the merge: the phases that run range by range on this engine (preparsing ran in the
  // sync request).
  const phases = [...new Set([...stopped].map((s) => s.split(':')[1]))].sort();
  expect(phases).toEqual(process.env.DATABASE_URL ? ['parsing', 'transforming', 'validation'] : ['parsing', 'processing', 'transforming', 'validation']);
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

describe('range sizes on PostgreSQL', () => {
  it('aim at about 1 s a range, within 250,000..2,000,000 rows (smaller ranges cost more than they show)', () => {
    const target = POSTGRES_RANGES.targetMs;
    expect(nextRangeRows(POSTGRES_RANGES.first, target, POSTGRES_RANGES)).toBe(POSTGRES_RANGES.first);
    expect(nextRangeRows(300_000, target / 4, POSTGRES_RANGES)).toBe(600_000);
    expect(nextRangeRows(600_000, 2 * target, POSTGRES_RANGES)).toBe(300_000);
    expect(nextRangeRows(300_000, 100 * target, POSTGRES_RANGES)).toBe(250_000);
    expect(nextRangeRows(1_500_000, target / 2, POSTGRES_RANGES)).toBe(2_000_000);
  });
});
