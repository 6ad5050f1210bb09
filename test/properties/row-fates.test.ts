import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { scenario } from './arbitraries.js';
import { fcOptions, resolveTokens, runFile, seededOrg } from './harness.js';
import { expectedFates, type Fate } from './oracle.js';

// Every row's fate follows the SPEC's rules (oracle.ts): after prevalidation, which rows are
// duplicates (and in which phase), which fail identity (missing_identity, not_found,
// ambiguous_identity), validation (missing_required_field, invalid/ambiguous_reference,
// still_referenced), and which create, match or delete a record — exactly, row by row, and the
// stats that follow. Each duplicate's message names a row of its group (SPEC §4).

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const show = (f: Fate | undefined) => (f === undefined ? 'none' : f.kind === 'error' ? `${f.code}@${f.phase}` : f.kind);

describe('row fates', () => {
  it('each row meets the fate the identity, duplicate and reference rules give it', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario(), async (sc) => {
        const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
        const before = await org.k.records(sc.resource);
        const required = new Set((await org.k.records('asset')).map((a) => String(a.item)));
        const locations = await org.k.records('location');
        const file = resolveTokens(sc.resource, sc.file, org);
        const { imp, errors } = await runFile(org, sc, file);

        const invalidRows = new Set(errors.filter((e) => e.phase === 'prevalidation').map((e) => e.row));
        for (const e of errors.filter((x) => x.phase === 'prevalidation')) expect(e.code, `row ${e.row}`).toBe('invalid_value');
        const fates = expectedFates({ resource: sc.resource, action: sc.action, mode: sc.mode, file, before, invalidRows, required, locations });

        const byRow = new Map(errors.map((e) => [e.row, e]));
        const got: string[] = [];
        const want: string[] = [];
        for (let n = 1; n <= file.length; n++) {
          if (invalidRows.has(n)) continue;
          const e = byRow.get(n);
          got.push(`row ${n}: ${e ? `${e.code}@${e.phase}` : 'kept'}`);
          const f = fates.get(n);
          want.push(`row ${n}: ${f?.kind === 'error' ? show(f) : 'kept'}`);
          if (e && f?.kind === 'error' && f.collidesWith) {
            const named = [...e.message.matchAll(/\brow (\d+)/gi)].map((m) => Number(m[1]));
            expect(named.some((x) => f.collidesWith!.includes(x)), `row ${n} "${e.message}" names one of rows ${f.collidesWith.join(', ')}`).toBe(true);
          }
        }
        expect(got).toEqual(want);

        const count = (kind: Fate['kind']) => [...fates.values()].filter((f) => f.kind === kind).length;
        const s = imp.stats;
        expect({ created: s.created, matched: s.updated + s.unchanged, deleted: s.deleted }).toEqual({
          created: count('created'),
          matched: count('matched'),
          deleted: count('deleted'),
        });
        const reached = count('created') + count('matched') + count('deleted');
        if (sc.action === 'overwrite' && reached === 0) expect(imp.status, 'SPEC §3 "An overwrite with zero valid rows fails"').toBe('failed');
      }),
      fcOptions(40),
    );
  });
});
