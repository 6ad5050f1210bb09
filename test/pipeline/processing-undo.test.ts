import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Released, runImport } from '../../src/pipeline/run-import.js';
import { timeOutStaleImports } from '../../src/worker/lifecycle-sweeps.js';
import { claimNext } from '../../src/lifecycle/transitions.js';
import { importer } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// On PGlite, merge and overwrite processing commit range by range (processing.ts). An import
// stopped half-way through the phase must leave the records exactly as they were (SPEC §3: the
// running phase is rolled back), whether it is canceled, times out or fails. On PostgreSQL the
// phase is one transaction, so there is nothing half-done to look at.
const pgliteOnly = describe.skipIf(Boolean(process.env.DATABASE_URL));

let svc: TestService;

pgliteOnly('processing stopped half-way', () => {
  beforeAll(async () => {
    svc = await startService({ PHASE_CHUNK_ROWS: '3' });
  });
  afterAll(async () => svc?.close());

  const initial = Array.from({ length: 5 }, (_, i) => ({ external_id: `I${i}`, name: `Item ${i}`, value: i }));
  // Row 1 creates an item, rows 2-6 update every initial one, rows 7-10 create more. The first
  // range (rows 1-3) creates one and updates two.
  const file = Array.from({ length: 10 }, (_, i) => ({ external_id: i >= 1 && i <= 5 ? `I${i - 1}` : `N${i}`, name: `Changed ${i}`, value: 100 + i }));

  /** Queues the file and runs it until processing has committed its first range of three rows. */
  async function halfProcessed(key: string): Promise<string> {
    const t = importer(svc, key);
    await t.merge('item', initial);
    const created = await svc.call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: file });
    const claimed = (await claimNext(svc.db, 'test-worker', 60))!;
    // Stopped before processing's second range (rows 4-6).
    const stop = runImport({ db: svc.db, config: svc.config, storage: svc.storage, shouldStop: (next) => next.phase === 'processing' && next.from === 4 }, claimed);
    await expect(stop).rejects.toBeInstanceOf(Released);
    const p = await svc.db.query<{ cursor: number; status: string }>(`SELECT cursor, status FROM import_phases WHERE import_id = $1 AND name = 'processing'`, [claimed.id]);
    expect(p.rows[0]).toEqual({ cursor: 3, status: 'running' });
    const committed = (await t.events(claimed.id)).map((e: { type: string }) => e.type).sort();
    expect(committed).toEqual(['record.created', 'record.updated', 'record.updated']);
    return created.body.id;
  }

  async function expectUntouched(key: string, importId: string) {
    const t = importer(svc, key);
    const records = (await t.records('item')).map((r) => ({ external_id: r.external_id, name: r.name, value: r.value }));
    expect(records.sort((a, b) => a.external_id.localeCompare(b.external_id))).toEqual(initial);
    expect(await t.events(importId)).toEqual([]);
    const imp = (await svc.call('GET', `/v1/imports/${importId}`, key)).body;
    expect(imp.phases.find((p: { name: string }) => p.name === 'processing').status).toBe('failed');
    expect(imp.stats).toMatchObject({ created: 0, updated: 0, events: 0 });
    return imp;
  }

  it('a cancel rolls back the ranges already committed', async () => {
    const key = await svc.newOrg();
    const id = await halfProcessed(key);
    const res = await svc.call('POST', `/v1/imports/${id}/cancel`, key);
    expect(res.body).toMatchObject({ status: 'failed', reason: 'canceled' });
    await svc.runner.drain();
    await expectUntouched(key, id);
  });

  it('a time-out rolls them back too', async () => {
    const key = await svc.newOrg();
    const id = await halfProcessed(key);
    expect(await timeOutStaleImports(svc.db, 0, svc.storage)).toContain(id);
    await svc.runner.drain();
    const imp = await expectUntouched(key, id);
    expect(imp.status).toBe('timed_out');
  });

  it('a run released half-way resumes and ends as if never stopped', async () => {
    const key = await svc.newOrg();
    const id = await halfProcessed(key);
    await svc.db.query(`UPDATE imports SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`, [id]);
    const imp = await svc.settle(id, key);
    expect(imp.status).toBe('completed');
    expect(imp.stats).toMatchObject({ total: 10, created: 5, updated: 5, events: 10 });
    expect((await importer(svc, key).events(id)).length).toBe(10);
  });
});
