import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';
import { expectAccounting, type ImportView, type Row } from '../rules/kit.js';
import { scenario, type Scenario } from './arbitraries.js';
import { errorShapes, fcOptions, recordShapes, resolveTokens, seededOrg, type Org } from './harness.js';

// "The outcome does not depend on batch or range sizes": the same generated file, from the same
// initial state, on a service staging one row per batch (BATCH_ROWS=1) and running its phases one
// row per range (PHASE_CHUNK_ROWS=1, see chunked-phase.ts), and on one with the defaults, ends with the same records (compared without ids and timestamps), the same
// stats and the same row errors (row, phase, code, field). Each service takes the file both
// inline (sync) and as an uploaded file (async: a JSON array on one, NDJSON on the other), where
// every batch of the upload is its own committed transaction. SPEC §11 "rows stream" must not
// change what happens to them.

let small: TestService;
let large: TestService;
beforeAll(async () => {
  [small, large] = await Promise.all([startService({ BATCH_ROWS: '1', PHASE_CHUNK_ROWS: '1' }), startService()]);
});
afterAll(async () => {
  await Promise.all([small?.close(), large?.close()]);
});

type Via = 'sync' | 'json' | 'ndjson';

async function importVia(svc: TestService, org: Org, sc: Scenario, file: Row[], via: Via): Promise<ImportView> {
  const options = { resource: sc.resource, action: sc.action, duplicate_handling: sc.mode, allow_mass_delete: true };
  if (via === 'sync') return org.k.run(sc.resource, sc.action, file, options);
  const created = await createAsync(svc, org.k.key, options);
  const bytes = via === 'json' ? JSON.stringify(file) : file.map((r) => JSON.stringify(r)).join('\n');
  const up = await put(svc, created._upload_url, bytes);
  expect(up.status, JSON.stringify(up.body)).toBe(200);
  const imp = await svc.settle<ImportView>(created.id, org.k.key);
  expectAccounting(imp);
  return imp;
}

async function outcomeOn(svc: TestService, sc: Scenario, via: Via) {
  const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
  const imp = await importVia(svc, org, sc, resolveTokens(sc.resource, sc.file, org), via);
  return {
    status: imp.status,
    reason: imp.reason?.split(':')[0] ?? null,
    stats: imp.stats,
    errors: errorShapes(await org.k.errors(imp.id)),
    records: recordShapes(await org.k.records(sc.resource), org),
  };
}

describe('batch size', () => {
  it('one row per batch and per range, or the defaults, sync or uploaded, give the same records, stats and errors', { timeout: 600_000 }, async () => {
    expect([small.config.batchRows, large.config.batchRows]).toEqual([1, undefined]); // undefined: the engine's default
    await fc.assert(
      fc.asyncProperty(scenario(), async (sc) => {
        // An empty upload is no file at all (unreadable_file, not no_valid_rows): sync only then.
        const upload = sc.file.length > 0;
        // One import at a time per service (settle drains that service's worker), both services at once.
        const onEach = async (svc: TestService, via: Via) => [await outcomeOn(svc, sc, 'sync'), ...(upload ? [await outcomeOn(svc, sc, via)] : [])];
        const [[reference, ...large2], small2] = await Promise.all([onEach(large, 'ndjson'), onEach(small, 'json')]);
        const others = [...large2, ...small2];
        expect(others).toEqual(others.map(() => reference));
      }),
      fcOptions(25),
    );
  });
});
