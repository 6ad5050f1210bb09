import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { spawnWorker, until } from '../support/processes.js';
import { startSharedApi, type SharedApi } from '../support/shared-api.js';

// Issue 16: a revert runs on the workers with an import's crash guarantees. An import of
// 50,000 changes (20,000 updates, 30,000 creates) is reverted, the revert reverted, and that
// reverted again — each a revert of 50,000 changes — undisturbed, with its worker SIGKILLed just
// before processing commits, and SIGKILLed at random moments. Each ends with exactly the
// records (ids, values, created_at) and stats of the undisturbed one.
//
// Worker processes share one database, which PGlite cannot do: PostgreSQL only, like
// crash-resume.test.ts.
const pgOnly = describe.skipIf(!process.env.DATABASE_URL);

const KEPT = 20_000;
const N = 50_000;
const TIMEOUT = 600_000;

let shared: SharedApi;
let db: Db;
let url: string;
let key: string;

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await shared.app.inject({ method, url: path, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body as object } : {}) });
  return { status: res.statusCode, body: res.json() };
}

async function finished(id: string) {
  return until(
    `import ${id} to end`,
    async () => {
      const i = (await call('GET', `/v1/imports/${id}`)).body;
      return ['completed', 'failed', 'timed_out'].includes(i.status) ? i : null;
    },
    TIMEOUT,
    250,
  );
}

/** Every item, as the API gives it, without updated_at (a revert moves it). */
async function items(): Promise<unknown[]> {
  const out: unknown[] = [];
  let after = '';
  for (;;) {
    const res = await call('GET', `/v1/resources/item/records?limit=1000${after ? `&starting_after=${after}` : ''}`);
    expect(res.status).toBe(200);
    out.push(...res.body.data.map(({ updated_at: _u, ...r }: Record<string, unknown>) => r));
    if (!res.body.pagination.has_more) return out;
    after = res.body.data[res.body.data.length - 1].id;
  }
}

async function outcome(id: string) {
  const imp = await finished(id);
  const staged = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [id])).rows[0]!.n;
  await until('working rows dropped', async () => (await staged()) === 0, 60_000);
  const events = (await call('GET', `/v1/events?import_id=${id}&limit=1&include_total=true`)).body.pagination.total_count;
  return {
    status: imp.status,
    reason: imp.reason,
    stats: imp.stats,
    phases: imp.phases.map((p: Record<string, unknown>) => [p.name, p.status, p.total, p.success, p.error]),
    events,
    records: await items(),
  };
}

async function askRevert(id: string, body: object = {}) {
  const res = await call('POST', `/v1/imports/${id}/revert`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

pgOnly('a revert of 50,000 changes, killed', () => {
  let before: unknown[];
  let after: unknown[];
  let original: string;
  let reference: Awaited<ReturnType<typeof outcome>>;
  let firstRevert: string;
  let secondRevert: string;

  beforeAll(async () => {
    shared = await startSharedApi({ SYNC_MAX_ROWS: String(N), SYNC_MAX_BYTES: String(64 * 1024 * 1024) });
    ({ db, url } = shared);
    key = (await createOrganizationWithKey(db, 'revert crash')).api_key;
    const w = spawnWorker(url);
    const first = await call('POST', '/v1/imports', { resource: 'item', action: 'merge', upload_mode: 'sync', data: Array.from({ length: KEPT }, (_, i) => ({ external_id: `I${i}`, name: `Item ${i}`, sku: `S${i}`, value: i })) });
    expect((await finished(first.body.id)).status).toBe('completed');
    before = await items();
    const data = Array.from({ length: N }, (_, i) => ({ external_id: `I${i}`, name: `Changed ${i}`, vendor: i % 2 ? 'Acme' : null, value: i * 2 }));
    const merge = await call('POST', '/v1/imports', { resource: 'item', action: 'merge', upload_mode: 'sync', data });
    const done = await finished(merge.body.id);
    expect(done.stats).toMatchObject({ created: N - KEPT, updated: KEPT });
    original = merge.body.id;
    after = await items();
    await w.kill('SIGTERM');
  }, TIMEOUT);
  afterAll(async () => shared?.close());

  it('undisturbed: the records before the import are back', async () => {
    firstRevert = await askRevert(original, { allow_mass_delete: true });
    const w = spawnWorker(url);
    reference = await outcome(firstRevert);
    await w.kill('SIGTERM');
    expect(reference.status).toBe('completed');
    expect(reference.stats).toMatchObject({ total: N, deleted: N - KEPT, updated: KEPT, errors: 0 });
    expect(reference.records).toEqual(before);
  }, TIMEOUT);

  it('SIGKILL just before processing commits: a new worker finishes the revert (of the revert) exactly', async () => {
    secondRevert = await askRevert(firstRevert);
    const doomed = spawnWorker(url, { IMPORTS_CRASH_AT: 'processing:before-commit' });
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    // Nothing of the killed attempt's processing is visible.
    expect(await items()).toEqual(before);
    const survivor = spawnWorker(url);
    const result = await outcome(secondRevert);
    await survivor.kill('SIGTERM');
    expect(result.status).toBe('completed');
    expect(result.stats).toMatchObject({ total: N, created: N - KEPT, updated: KEPT, errors: 0 });
    // The import's records are back, with the ids and created_at they had.
    expect(result.records).toEqual(after);
  }, TIMEOUT);

  it('SIGKILL at random moments: the third revert ends exactly as the undisturbed first', async () => {
    const third = await askRevert(secondRevert, { allow_mass_delete: true });
    for (let i = 0; i < 5; i++) {
      const w = spawnWorker(url);
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 3000)));
      await w.kill('SIGKILL');
    }
    const survivor = spawnWorker(url);
    const result = await outcome(third);
    await survivor.kill('SIGTERM');
    expect(result).toEqual(reference);
  }, TIMEOUT);
});
