import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { spawnWorker, until } from '../support/processes.js';
import { startSharedApi, type SharedApi } from '../support/shared-api.js';

// Issue 16: a dry run killed mid-way resumes and gives the same forecast — stats, phases, row
// errors and would-be changes — as an undisturbed dry run, and changes nothing either way.
// Real worker processes are SIGKILLed at processing's and cleanup's commits; PostgreSQL only
// (several processes share the database), like crash-resume.test.ts.
const pgOnly = describe.skipIf(!process.env.DATABASE_URL);

let db: Db;
let url: string;
let app: SharedApi['app'];
let shared: SharedApi;

pgOnly('a dry run survives worker crashes', () => {
  beforeAll(async () => {
    shared = await startSharedApi({ SYNC_MAX_ROWS: '20000', SYNC_MAX_BYTES: String(20 * 1024 * 1024) });
    ({ db, url, app } = shared);
  });
  afterAll(async () => shared?.close());

  const N = 3000;
  const initial = Array.from({ length: N / 2 }, (_, i) => ({ external_id: `I${i}`, name: `Item ${i}`, value: i }));
  // An overwrite: changed, unchanged and new items, invalid rows, duplicates, and (every 5th
  // initial item left out) records cleanup would delete.
  const file = Array.from({ length: N }, (_, i) => {
    if (i % 50 === 7) return { external_id: `I${i}`, name: `Bad ${i}`, value: -1 };
    if (i % 40 === 3) return { external_id: `I${i - 3}`, name: `Twin ${i}` };
    return { external_id: `I${i}`, name: i % 3 === 0 ? `Renamed ${i}` : `Item ${i}`, value: i };
  }).filter((r) => !(Number(r.external_id.slice(1)) < N / 2 && Number(r.external_id.slice(1)) % 5 === 0));

  async function call(method: 'GET' | 'POST', path: string, key: string, body?: unknown) {
    const res = await app.inject({ method, url: path, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body as object } : {}) });
    return res.json();
  }

  /** Every item of a list; `limit`: its page size (row errors take up to 100, records and changes 1,000). */
  async function all(key: string, path: string, limit = 1000): Promise<any[]> {
    const out: any[] = [];
    for (let after: string | null = null; ; ) {
      const res: { data: any[]; pagination: { has_more: boolean } } = await call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${after ? `&starting_after=${after}` : ''}`, key);
      out.push(...res.data);
      if (!res.pagination.has_more) return out;
      after = String(res.data.at(-1).id ?? res.data.at(-1).row); // row errors page by row number
    }
  }

  async function prepare(): Promise<{ key: string; importId: string; records: unknown[] }> {
    const { api_key: key } = await createOrganizationWithKey(db, 'dry-run crash test');
    const first = await call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: initial });
    const w = spawnWorker(url);
    await until('initial merge', async () => (await call('GET', `/v1/imports/${first.id}`, key)).status === 'completed');
    await w.kill('SIGTERM');
    const imp = await call('POST', '/v1/imports', key, { resource: 'item', action: 'overwrite', upload_mode: 'sync', data: file, allow_mass_delete: true, dry_run: true });
    expect(imp).toMatchObject({ status: 'queued', dry_run: true });
    return { key, importId: imp.id, records: await all(key, '/v1/resources/item/records') };
  }

  async function outcome(key: string, importId: string, recordsBefore: unknown[]) {
    const imp = await until('dry run to finish', async () => {
      const i = await call('GET', `/v1/imports/${importId}`, key);
      return ['completed', 'failed', 'timed_out'].includes(i.status) ? i : null;
    });
    expect(await all(key, '/v1/resources/item/records')).toEqual(recordsBefore);
    expect((await call('GET', `/v1/events?import_id=${importId}&limit=1`, key)).pagination.total_count).toBe(0);
    const errors = (await all(key, `/v1/imports/${importId}/errors`, 100)).map((e) => [e.row, e.phase, e.code, e.field]);
    const changes = (await all(key, `/v1/imports/${importId}/changes`))
      // Each run has an organization of its own, so record ids differ; before and after say which record.
      .map(({ id: _i, record_id: _r, ...c }) => JSON.stringify(c))
      .sort();
    return { status: imp.status, reason: imp.reason, stats: imp.stats, phases: imp.phases.map((p: any) => [p.name, p.status, p.total, p.success, p.error]), errors, changes };
  }

  let reference: Awaited<ReturnType<typeof outcome>>;

  it('an undisturbed dry run', { timeout: 300_000 }, async () => {
    const { key, importId, records } = await prepare();
    const w = spawnWorker(url);
    reference = await outcome(key, importId, records);
    await w.kill('SIGTERM');
    expect(reference.status).toBe('completed');
    expect(reference.stats.overwritten).toBeGreaterThan(0);
    expect(reference.changes.length).toBe(reference.stats.events);
  });

  for (const point of ['processing:before-commit', 'processing:after-commit', 'cleanup:before-commit']) {
    it(`SIGKILL at ${point}, then a new worker forecasts exactly the same`, { timeout: 300_000 }, async () => {
      const { key, importId, records } = await prepare();
      const doomed = spawnWorker(url, { IMPORTS_CRASH_AT: point });
      await doomed.exited;
      expect(doomed.child.signalCode).toBe('SIGKILL');
      const survivor = spawnWorker(url);
      const result = await outcome(key, importId, records);
      await survivor.kill('SIGTERM');
      expect(result).toEqual(reference);
    });
  }
});
