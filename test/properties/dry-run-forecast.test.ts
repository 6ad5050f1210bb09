import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { download } from '../support/uploads.js';
import { scenario } from './arbitraries.js';
import { fcOptions, resolveTokens, seededOrg, type Org } from './harness.js';
import type { Row } from '../rules/kit.js';

// Issue 16: for generated files and starting states, a dry run's forecast equals what the real
// run of the same file then does, row for row — status, reason, stats, row errors, the changes
// (record, kind, before, after) and every row's outcome in the results file — and the dry run
// changed nothing: every record and every event of the organization is as it was.

let svc: TestService;
beforeAll(async () => {
  // Small ranges: the phases (processing too, on PGlite) commit range by range, as a large file's do.
  svc = await startService({ PHASE_CHUNK_ROWS: '7' });
});
afterAll(async () => svc?.close());

const RESOURCES = ['location', 'group', 'contact', 'item', 'asset'] as const;

async function all(org: Org, url: string): Promise<any[]> {
  const out: any[] = [];
  for (let after: string | null = null; ; ) {
    const sep = url.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await svc.call('GET', `${url}${sep}limit=1000${after ? `&starting_after=${after}` : ''}`, org.k.key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.data);
    if (!res.body.pagination.has_more) return out;
    after = res.body.data.at(-1).id;
  }
}

const state = async (org: Org) => ({
  records: await Promise.all(RESOURCES.map((r) => org.k.records(r))),
  events: await org.k.events(),
});

/** A created record's id is given when it is created: the forecast's is provisional. */
const changeShapes = (list: any[]) =>
  list.map(({ id: _, ...c }) => JSON.stringify(c.change === 'created' ? { ...c, record_id: 'new' } : c)).sort();

async function rowResults(org: Org, importId: string): Promise<Row[]> {
  const imp = (await svc.call('GET', `/v1/imports/${importId}?include_results_json=true`, org.k.key)).body;
  if (!imp.has_results_file) return [];
  const rows = JSON.parse((await download(svc, imp._results_json_url)).text) as Row[];
  return rows.map((r) => (r.outcome === 'created' ? { ...r, record_id: 'new' } : r));
}

describe('dry run forecast', () => {
  it('equals what the real run then does, row for row, and changes nothing', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario(), async (sc) => {
        const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
        const file = resolveTokens(sc.resource, sc.file, org);
        const options = { duplicate_handling: sc.mode, allow_mass_delete: true };
        const before = await state(org);
        const dry = await org.k.run(sc.resource, sc.action, file, { ...options, dry_run: true });
        expect(await state(org), 'the dry run changed records or events').toEqual(before);
        const forecast = { changes: await all(org, `/v1/imports/${dry.id}/changes`), errors: await org.k.errors(dry.id), results: await rowResults(org, dry.id) };

        const real = await org.k.run(sc.resource, sc.action, file, options);
        expect({ status: real.status, reason: real.reason, stats: real.stats }).toEqual({ status: dry.status, reason: dry.reason, stats: dry.stats });
        expect(await org.k.errors(real.id)).toEqual(forecast.errors);
        const changes = await all(org, `/v1/imports/${real.id}/changes`);
        expect(changeShapes(changes)).toEqual(changeShapes(forecast.changes));
        // The real import's changes are its events, the same ones.
        expect(changes.map((c) => c.id)).toEqual((await org.k.events(real.id)).map((e: any) => e.id));
        expect(await rowResults(org, real.id)).toEqual(forecast.results);
      }),
      fcOptions(25),
    );
  });
});
