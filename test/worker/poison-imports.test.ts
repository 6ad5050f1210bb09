import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimNext } from '../../src/lifecycle/transitions.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';

// Issue 18, items 2 and 9: an import whose attempts keep ending without a result (its worker
// dies holding it) ends `failed` after WORKER_MAX_FAILURES instead of being retried until the
// time-out; other organizations are served meanwhile, round-robin; and whatever status an
// import ends in, its stats add up.

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ WORKER_MAX_FAILURES: '3' });
});
afterAll(async () => svc?.close());

const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ external_id: `${prefix}${i}`, name: `Item ${i}` }));

async function createSync(key: string, data: object[], resource = 'item'): Promise<string> {
  const res = await svc.call('POST', '/v1/imports', key, { resource, action: 'merge', upload_mode: 'sync', data });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A worker that claims the import and dies: its lease simply runs out. */
async function dieHolding(importId: string): Promise<void> {
  const claimed = await claimNext(svc.db, 'doomed-worker', 0);
  expect(claimed?.id).toBe(importId);
  await new Promise((r) => setTimeout(r, 20)); // the zero-second lease is now in the past
}

describe('issue 18 item 2: a poison import ends failed within the configured attempts', () => {
  it('each lease takeover counts; at the cap the worker ends it failed with internal_error and drops its rows', async () => {
    const key = await svc.newOrg('Poisoned');
    const id = await createSync(key, rows(5, 'P'));
    await dieHolding(id); // attempt 1 dies
    await dieHolding(id); // attempt 2 takes over (failure 1) and dies
    await dieHolding(id); // attempt 3 takes over (failure 2) and dies
    await svc.runner.drain(); // attempt 4 takes over (failure 3 = the cap): ends it, runs nothing
    const imp = (await svc.call('GET', `/v1/imports/${id}`, key)).body;
    expect(imp.status).toBe('failed');
    expect(imp.reason).toMatch(/^internal_error: gave up after 3 attempts that ended without a result/);
    expect(statsAddUp(imp.stats)).toBe(true);
    expect(imp.stats.unprocessed).toBe(5);
    const left = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [id]);
    expect(left.rows[0]!.n).toBe(0);
    expect((await svc.call('GET', '/v1/resources/item/records', key)).body.data).toEqual([]);
  });
});

describe("issue 18 item 9: one organization's backlog does not delay another's imports", () => {
  it('with one worker, claims go round-robin between organizations', async () => {
    const busy = await svc.newOrg('Busy');
    const other = await svc.newOrg('Other');
    // Busy queues one import of each of three resources (they may all run), then Other one.
    const b1 = await createSync(busy, [{ external_id: 'L1', name: 'Loc 1', code: 'L1' }], 'location');
    const b2 = await createSync(busy, rows(2, 'B'), 'item');
    const b3 = await createSync(busy, [{ external_id: 'G1', name: 'Group 1' }], 'group');
    const o1 = await createSync(other, rows(2, 'O'), 'item');
    const order: string[] = [];
    for (let imp = await claimNext(svc.db, 'w', 60); imp; imp = await claimNext(svc.db, 'w', 60)) {
      order.push(imp.id);
      // Finish it as a worker would, so the next claim sees it done.
      await svc.db.query(`UPDATE imports SET status = 'completed' WHERE id = $1`, [imp.id]);
    }
    expect(order.slice(0, 2)).toEqual([b1, o1]);
    expect(order.slice(2).sort()).toEqual([b2, b3].sort());
  });
});

describe('issue 18 item 9: stats add up for every final status', () => {
  it('canceled while queued: every staged row is unprocessed; the sum holds', async () => {
    const key = await svc.newOrg('Canceling');
    const id = await createSync(key, [...rows(4, 'C'), { external_id: 'C0', name: 'Twin' }]); // a duplicate pair
    expect((await svc.call('POST', `/v1/imports/${id}/cancel`, key)).status).toBe(200);
    const imp = (await svc.call('GET', `/v1/imports/${id}`, key)).body;
    expect(imp.status).toBe('failed');
    expect(imp.stats).toMatchObject({ total: 5, duplicates: 2, created: 0, unprocessed: 3 });
    expect(statsAddUp(imp.stats)).toBe(true);
  });

  it('a completed import has no unprocessed rows and the sum of SPEC §7 holds as written', async () => {
    const key = await svc.newOrg('Completing');
    const id = await createSync(key, rows(3, 'K'));
    const imp = await svc.settle(id, key);
    expect(imp.status).toBe('completed');
    expect(imp.stats.unprocessed).toBeUndefined();
    expect(imp.stats.total).toBe(imp.stats.created + imp.stats.updated + imp.stats.unchanged + imp.stats.deleted + imp.stats.duplicates + imp.stats.errors);
  });
});
