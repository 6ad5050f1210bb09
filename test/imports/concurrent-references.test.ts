import { afterAll, beforeAll, expect, it } from 'vitest';
import { Released, runImport } from '../../src/pipeline/run-import.js';
import { claimNext, release } from '../../src/lifecycle/transitions.js';
import { importer, place } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// Imports of different resources of one organization run side by side: a reference resolved
// in validation can lose its target before processing writes it. Processing re-checks (and
// locks) the targets, so no record ever points at a deleted one.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

it('a reference whose target was deleted after validation is removed as invalid_reference, in processing', async () => {
  const key = await svc.newOrg();
  const t = importer(svc, key);
  await t.merge('location', [place('L1')]);
  await t.merge('item', [{ external_id: 'X1', name: 'Gone soon' }, { external_id: 'X2', name: 'Stays' }]);
  const created = await svc.call('POST', '/v1/imports', key, {
    resource: 'asset', action: 'merge', upload_mode: 'sync',
    data: [{ external_id: 'A1', item: 'X1', location: 'L1' }, { external_id: 'A2', item: 'X2', location: 'L1' }],
  });
  // Run the worker up to (not including) processing, as if it were paused there.
  const claimed = (await claimNext(svc.db, 'w', 60))!;
  await expect(runImport({ db: svc.db, config: svc.config, storage: svc.storage, shouldStop: (next) => next.phase === 'processing' }, claimed)).rejects.toBeInstanceOf(Released);
  const phases = await svc.db.query<{ name: string; status: string }>(
    `SELECT name, status FROM import_phases WHERE import_id = $1 AND name IN ('validation', 'processing') ORDER BY position`,
    [claimed.id],
  );
  expect(phases.rows.map((p) => p.status)).toEqual(['completed', 'pending']);
  // Meanwhile, another import deletes item X1 (nothing required it yet).
  const del = await t.run('item', 'delete', [{ external_id: 'X1' }]);
  expect(del.stats.deleted).toBe(1);
  await release(svc.db, claimed);
  const imp = await svc.settle(created.body.id, key);
  expect(imp.status).toBe('completed');
  expect(imp.stats).toMatchObject({ total: 2, created: 1, errors: 1 });
  const [err] = await t.errors(imp.id);
  expect(err).toMatchObject({ row: 1, phase: 'processing', code: 'invalid_reference', field: 'item' });
  expect([...(await t.byKey('asset')).keys()]).toEqual(['A2']);
});
