import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { PHASES } from '../../src/pipeline/phase-list.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { spawnWorker, until } from '../support/processes.js';
import { startSharedApi, type SharedApi } from '../support/shared-api.js';

// SPEC §11 "nothing lost": real worker processes are SIGKILLed at every checkpoint (before and
// after each phase's commit) and at random moments; each disturbed run must end with exactly the
// records, stats, phases and errors of an undisturbed run of the same file.
//
// Several processes share one database, which PGlite (one session, one process) cannot do, so
// this file runs only against PostgreSQL (DATABASE_URL, as CI's second pass does).
const pgOnly = describe.skipIf(!process.env.DATABASE_URL);

let db: Db;
let url: string;
let app: SharedApi['app'];
let shared: SharedApi;

pgOnly('worker crashes', () => {
  beforeAll(async () => {
    shared = await startSharedApi({ SYNC_MAX_ROWS: '20000', SYNC_MAX_BYTES: String(20 * 1024 * 1024) });
    ({ db, url, app } = shared);
  });
  afterAll(async () => shared?.close());

  const N = 6000;
  const initial = Array.from({ length: N / 2 }, (_, i) => ({ external_id: `I${i}`, name: `Item ${i}`, sku: `S${i % 2900}`, value: i }));
  // The file: 60% of the initial items (some changed), new ones, invalid rows and duplicates.
  const file = Array.from({ length: N }, (_, i) => {
    if (i % 50 === 7) return { external_id: `I${i}`, name: `Bad ${i}`, value: -1 };
    if (i % 40 === 3) return { external_id: `I${i - 3}`, name: `Twin ${i}` };
    return { external_id: `I${i}`, name: i % 3 === 0 ? `Renamed ${i}` : `Item ${i}`, sku: `S${i % 2900}`, value: i };
  }).filter((r) => !(Number(r.external_id.slice(1)) < N / 2 && Number(r.external_id.slice(1)) % 5 === 0));

  async function call(method: 'GET' | 'POST', path: string, key: string, body?: unknown) {
    const res = await app.inject({ method, url: path, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body as object } : {}) });
    return res.json();
  }

  async function prepare(): Promise<{ key: string; importId: string }> {
    const { api_key: key } = await createOrganizationWithKey(db, 'crash test');
    const first = await call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: initial });
    const w = spawnWorker(url);
    await until('initial merge', async () => (await call('GET', `/v1/imports/${first.id}`, key)).status === 'completed');
    await w.kill('SIGTERM');
    const imp = await call('POST', '/v1/imports', key, { resource: 'item', action: 'overwrite', upload_mode: 'sync', data: file, allow_mass_delete: true });
    expect(imp.status).toBe('queued');
    return { key, importId: imp.id };
  }

  async function outcome(key: string, importId: string) {
    const imp = await until('import to finish', async () => {
      const i = await call('GET', `/v1/imports/${importId}`, key);
      return ['completed', 'failed', 'timed_out'].includes(i.status) ? i : null;
    });
    const records: unknown[] = [];
    for (let page = 1; ; page++) {
      const res = await call('GET', `/v1/resources/item/records?limit=100&page=${page}`, key);
      records.push(...res.data.map(({ id: _i, created_at: _c, updated_at: _u, ...r }: Record<string, unknown>) => r));
      if (!res.pagination.has_more) break;
    }
    const errors: unknown[] = [];
    for (let page = 1; ; page++) {
      const res = await call('GET', `/v1/imports/${importId}/errors?limit=100&page=${page}`, key);
      errors.push(...res.data.map((e: Record<string, unknown>) => [e.row, e.phase, e.code, e.field]));
      if (!res.pagination.has_more) break;
    }
    const phases = imp.phases.map((p: Record<string, unknown>) => [p.name, p.status, p.total, p.success, p.error]);
    const events = (await call('GET', `/v1/events?import_id=${importId}&limit=1`, key)).pagination.total_count;
    // A completed import's working rows are dropped right after it completes (or, when the
    // worker died in between, by the abandoned-rows sweep a few seconds later).
    const staged = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [importId])).rows[0]!.n;
    await until('working rows dropped', async () => (await staged()) === 0, 60_000);
    return {
      status: imp.status,
      reason: imp.reason,
      stats: imp.stats,
      phases,
      errors,
      events,
      leftovers: await staged(),
      records: records.sort((a: any, b: any) => (a.external_id < b.external_id ? -1 : 1)),
    };
  }

  let reference: Awaited<ReturnType<typeof outcome>>;

  it('an undisturbed run', async () => {
    const { key, importId } = await prepare();
    const w = spawnWorker(url);
    reference = await outcome(key, importId);
    await w.kill('SIGTERM');
    expect(reference.status).toBe('completed');
    expect(reference.stats.overwritten).toBeGreaterThan(0);
    expect(reference.leftovers).toBe(0);
  });

  const checkpoints = PHASES.filter((p) => p.mode === 'async').flatMap((p) => [`${p.name}:before-commit`, `${p.name}:after-commit`]);
  for (const point of checkpoints) {
    it(`SIGKILL at ${point}, then a new worker finishes exactly the same`, async () => {
      const { key, importId } = await prepare();
      const doomed = spawnWorker(url, { IMPORTS_CRASH_AT: point });
      await doomed.exited;
      expect(doomed.child.signalCode).toBe('SIGKILL'); // it died at the crash point
      const survivor = spawnWorker(url);
      const result = await outcome(key, importId);
      await survivor.kill('SIGTERM');
      expect(result).toEqual(reference);
    });
  }

  // Phases that run range by range commit each range: killed after the first one, the phase
  // resumes at the next range (with ranges of another size, even) and ends the same.
  for (const point of ['transforming:after-range', 'validation:after-range']) {
    it(`SIGKILL at ${point} (ranges of 1,000 rows), then a new worker finishes exactly the same`, async () => {
      const { key, importId } = await prepare();
      const doomed = spawnWorker(url, { IMPORTS_CRASH_AT: point, PHASE_CHUNK_ROWS: '1000' });
      await doomed.exited;
      expect(doomed.child.signalCode).toBe('SIGKILL');
      const phase = point.split(':')[0];
      const cursor = await db.query<{ cursor: number }>('SELECT cursor FROM import_phases WHERE import_id = $1 AND name = $2', [importId, phase]);
      expect(cursor.rows[0]?.cursor).toBe(1000); // it died half-way through the phase
      const survivor = spawnWorker(url, { PHASE_CHUNK_ROWS: '2500' });
      const result = await outcome(key, importId);
      await survivor.kill('SIGTERM');
      expect(result).toEqual(reference);
    });
  }

  it('SIGKILL at random moments, ten times over', async () => {
    const { key, importId } = await prepare();
    for (let i = 0; i < 10; i++) {
      const w = spawnWorker(url);
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 2500)));
      await w.kill('SIGKILL');
    }
    const survivor = spawnWorker(url);
    const result = await outcome(key, importId);
    await survivor.kill('SIGTERM');
    expect(result).toEqual(reference);
  });
});
