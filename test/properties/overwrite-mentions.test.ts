import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { scenario, type Resource } from './arbitraries.js';
import { danglingReferences, fcOptions, LOOKUP_KEYS, namedBy, resolveTokens, runFile, seededOrg } from './harness.js';
import type { RecordView, Row } from '../rules/kit.js';

// SPEC §3 overwrite: "A record is mentioned if any row of the file — valid or invalid — names
// it, so a row rejected for a typo never gets its record deleted." A row names its record by
// `id` if present, else by the first lookup key it has a value for (values compared as stored:
// trimmed, emails lower-cased). Property: after any overwrite (allow_mass_delete, so the guard
// does not interfere), every initial record that some row names still exists — whatever
// happened to the row — and `overwritten` counts exactly the initial records that are gone.
// Conversely ("the file becomes the complete set"), an initial record that no row matches by
// any value at all is deleted by a completed overwrite — unless another record still requires
// it (an item with assets, SPEC §3 delete), which is never deleted.

/** Whether any cell of the row that could identify a record (id or any lookup key) matches `r`. */
function touches(resource: Resource, row: Row, r: RecordView): boolean {
  return ['id', ...LOOKUP_KEYS[resource]].some((key) => {
    const v = row[key];
    if (typeof v !== 'string' && typeof v !== 'number') return false;
    const s = key === 'email' ? String(v).trim().toLowerCase() : String(v).trim();
    return s !== '' && r[key] === s;
  });
}

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

describe('overwrite cleanup', () => {
  it('never deletes a record that any row names, even a rejected row', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ actions: ['overwrite'], maxRows: 15 }), async (sc) => {
        const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
        const before = await org.k.records(sc.resource);
        const file = resolveTokens(sc.resource, sc.file, org);
        const { imp, errors, records } = await runFile(org, sc, file);
        const after = new Set(records.map((r) => r.id));
        const rejected = new Set(errors.map((e) => e.row));

        const lost = file.flatMap((row, i) =>
          namedBy(sc.resource, row, before)
            .filter((id) => !after.has(id))
            .map((id) => `row ${i + 1}${rejected.has(i + 1) ? ' (rejected)' : ''} ${JSON.stringify(row)} names ${id}, which was deleted`),
        );
        expect(lost).toEqual([]);

        const gone = before.filter((r) => !after.has(r.id)).length;
        expect(imp.stats.overwritten, 'overwritten = initial records gone').toBe(gone);
        expect(await danglingReferences(org), 'items with assets are kept').toEqual([]);
        if (imp.status === 'failed') expect(gone, 'a failed overwrite deletes nothing').toBe(0);
        else {
          const required = new Set((await org.k.records('asset')).map((a) => String(a.item)));
          const untouchedKept = before.filter((r) => after.has(r.id) && !required.has(r.id) && !file.some((row) => touches(sc.resource, row, r)));
          expect(untouchedKept.map((r) => r.external_id), 'records no row mentions are deleted').toEqual([]);
        }
      }),
      fcOptions(40),
    );
  });
});
