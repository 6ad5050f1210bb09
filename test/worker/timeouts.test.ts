import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LostLease, runImport } from '../../src/pipeline/run-import.js';
import { claimNext } from '../../src/lifecycle/transitions.js';
import { importer } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ PROCESSING_TIMEOUT_SECONDS: '600' });
});
afterAll(async () => svc?.close());

describe('time-outs', () => {
  it('an import processing past the limit ends timed_out, and its half-done phase leaves no trace', async () => {
    const key = await svc.newOrg();
    const created = await svc.call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'T', name: 'T' }] });
    const claimed = (await claimNext(svc.db, 'slow-worker', 60))!;
    expect(claimed.id).toBe(created.body.id);
    await svc.db.query(`UPDATE imports SET processing_started_at = now() - interval '11 minutes' WHERE id = $1`, [claimed.id]);
    await svc.runner.sweeps();
    const imp = (await svc.call('GET', `/v1/imports/${claimed.id}`, key)).body;
    expect(imp.status).toBe('timed_out');
    expect(imp.reason).toMatch(/^timed_out: processing ran past 600 seconds/);
    expect(imp.phases.slice(2).every((p: any) => p.status === 'skipped')).toBe(true);
    await expect(runImport({ db: svc.db, config: svc.config, storage: svc.storage }, claimed)).rejects.toBeInstanceOf(LostLease);
    expect(await importer(svc, key).records('item')).toEqual([]);
    await svc.db.query(`UPDATE imports SET updated_at = now() - interval '1 hour' WHERE id = $1`, [claimed.id]);
    await svc.runner.sweeps();
    const left = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [claimed.id]);
    expect(left.rows[0]!.n).toBe(0);
    // Final statuses never change.
    await svc.runner.drain();
    expect((await svc.call('GET', `/v1/imports/${claimed.id}`, key)).body.status).toBe('timed_out');
  });
});
