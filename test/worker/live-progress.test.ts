import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../../src/pipeline/phase-list.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';

// Issue 19: a person watching an import sees each phase's `processed` move while the phase
// runs, on both engines: ranges commit their counts, and a phase that must commit whole
// (processing on PostgreSQL) reports the ranges it has done from another connection
// (src/lifecycle/live-progress.ts). A client polls GET /v1/imports/{id} while the worker runs
// and must see values strictly between 0 and the phase's total; once complete, every count is
// exact. Nothing here is timed: the ranges are made small (PHASE_CHUNK_ROWS) so that every
// phase has many steps to be seen at, whatever the machine's speed.

const N = 12_000;
// Row i: every 101st has an invalid email (removed by prevalidation), every 97th names the
// record of the row before it by external_id (a duplicate, removed by preparsing with use_first).
const rows = Array.from({ length: N }, (_, n) => {
  const i = n + 1;
  return { ext: i % 97 === 0 ? `C${i - 1}` : `C${i}`, email: i % 101 === 0 ? 'not-an-email' : `c${i}@example.com`, name: `Person ${i}` };
});
const csv = ['external_id,name,email', ...rows.map((r) => `${r.ext},${r.name},${r.email}`)].join('\n') + '\n';
const invalid = rows.filter((r) => r.email === 'not-an-email').length;
const seenIds = new Set<string>();
let duplicates = 0;
for (const r of rows) {
  if (r.email === 'not-an-email') continue;
  if (seenIds.has(r.ext)) duplicates++;
  seenIds.add(r.ext);
}

let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService({ PHASE_CHUNK_ROWS: '400', BATCH_ROWS: '400' });
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

describe('live progress', () => {
  it('a client polling while the worker runs sees every long phase at values between 0 and its total, and exact counts at the end', async () => {
    const created = await createAsync(svc, key, { duplicate_handling: 'use_first' });
    expect((await put(svc, created._upload_url, csv)).status).toBe(200);

    // Every value of `processed` a client saw while a phase was running, with the phase's total.
    const seen = new Map<string, { processed: number; total: number }[]>();
    let running = true;
    const drained = svc.runner.drain().finally(() => {
      running = false;
    });
    while (running) {
      const imp = (await svc.call('GET', `/v1/imports/${created.id}`, key)).body;
      for (const p of imp.phases) {
        if (p.status !== 'running') continue;
        expect(p.processed).toBeLessThanOrEqual(Math.max(p.total, p.processed));
        expect(p.success + p.error).toBe(p.processed);
        seen.set(p.name, [...(seen.get(p.name) ?? []), { processed: p.processed, total: p.total }]);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await drained;

    const between = (name: string) => (seen.get(name) ?? []).filter((s) => s.processed > 0 && s.processed < s.total).map((s) => s.processed);
    // Prevalidation counts the rows it has read (its total grows with them): it must move.
    expect(new Set((seen.get('prevalidation') ?? []).map((s) => s.processed)).size, 'prevalidation moved').toBeGreaterThan(2);
    for (const name of ['preparsing', 'transforming', 'parsing', 'validation', 'processing']) {
      expect(new Set(between(name)).size, `${name}: intermediate values seen`).toBeGreaterThan(1);
      // A count never goes back while the phase runs.
      const values = (seen.get(name) ?? []).map((s) => s.processed);
      expect(values, `${name} never goes back`).toEqual([...values].sort((a, b) => a - b));
    }

    const imp = (await svc.call('GET', `/v1/imports/${created.id}`, key)).body;
    expect(imp.status).toBe('completed');
    expect(imp.stats).toMatchObject({ total: N, errors: invalid, duplicates, created: N - invalid - duplicates, updated: 0, unchanged: 0 });
    expect(statsAddUp(imp.stats)).toBe(true);
    expect(imp.phases.map((p: any) => p.name)).toEqual(PHASES.map((p) => p.name));
    // Each phase ends with exact counts: all it was given processed, and what it passed on is
    // what the next one was given.
    for (const [i, p] of imp.phases.entries()) {
      expect(p.status).toBe('completed');
      expect(p.processed).toBe(p.total);
      expect(p.success + p.error).toBe(p.total);
      if (i > 0) expect(p.total, `${p.name} starts with what ${imp.phases[i - 1].name} passed on`).toBe(imp.phases[i - 1].success);
    }
    expect(imp.phases[0]).toMatchObject({ total: N, error: invalid });
    expect(imp.phases[1]).toMatchObject({ total: N - invalid, error: duplicates });
  }, 240_000);
});
