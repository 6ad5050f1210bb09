import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { accountingProblems } from '../rules/kit.js';
import { scenario } from './arbitraries.js';
import { danglingReferences, fcOptions, resolveTokens, runFile, seededOrg } from './harness.js';

// Properties over generated item/contact files, every action × duplicate_handling:
//  - stats add up (SPEC §7), every phase has total = success + error and takes in what the
//    previous phase passed on (SPEC §6);
//  - every input row is accounted exactly once: the rows of GET /v1/imports/{id}/errors are
//    distinct, there are duplicates + errors of them, total = rows sent, and the other rows are
//    exactly created + updated + unchanged + deleted (SPEC §7, §8 "One entry per removed row");
//  - every record change writes one event (SPEC §7);
//  - no reference is left dangling: an item with assets is never deleted (SPEC §3 delete).

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

describe('accounting of generated imports', () => {
  it('stats add up, phases chain, and every row is accounted exactly once', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario(), async (sc) => {
        const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
        const file = resolveTokens(sc.resource, sc.file, org);
        const { imp, errors } = await runFile(org, sc, file);
        const s = imp.stats;

        expect(accountingProblems(imp)).toEqual([]);
        expect(s.total, 'stats.total = rows sent').toBe(file.length);
        if (imp.status === 'failed') expect(imp.reason ?? '').toMatch(/^no_valid_rows/);
        else expect(imp.status).toBe('completed');

        const rows = errors.map((e) => e.row);
        expect(new Set(rows).size, 'each removed row listed once').toBe(rows.length);
        expect(rows.every((r) => Number.isInteger(r) && r >= 1 && r <= file.length), `rows in 1..${file.length}`).toBe(true);
        expect([...rows].sort((a, b) => a - b), 'errors in row order').toEqual(rows);
        expect(errors.length, 'errors listed = duplicates + errors').toBe(s.duplicates + s.errors);
        expect(errors.filter((e) => e.code === 'duplicate').length).toBe(s.duplicates);
        expect(file.length - rows.length, 'rows not in errors = created + updated + unchanged + deleted').toBe(s.created + s.updated + s.unchanged + s.deleted);
        for (const e of errors) expect(e.data, `row ${e.row} data is the row as sent`).toEqual(file[e.row - 1]);

        expect(imp.has_errors_file, 'has_errors_file = at least one row error').toBe(errors.length > 0);

        const events = await org.k.events(imp.id);
        expect(events.length, 'events listed = stats.events').toBe(s.events);
        const ofType = (t: string) => events.filter((e) => e.type === t).length;
        expect([ofType('record.created'), ofType('record.updated'), ofType('record.deleted')]).toEqual([s.created, s.updated, s.deleted + s.overwritten]);
        expect(events.every((e) => e.resource === sc.resource && (e.type === 'record.created') === (e.before === null) && (e.type === 'record.deleted') === (e.after === null))).toBe(true);
        expect(s.events, 'one event per change').toBe(s.created + s.updated + s.deleted + s.overwritten);
        if (sc.action !== 'overwrite') expect(s.overwritten).toBe(0);
        if (sc.action === 'delete') expect(s.created + s.updated + s.unchanged).toBe(0);
        else expect(s.deleted).toBe(0);
        // §3 delete: "a record still required by another (an item with assets) is not deleted"
        expect(await danglingReferences(org), 'no reference left dangling').toEqual([]);
      }),
      fcOptions(40),
    );
  });
});
