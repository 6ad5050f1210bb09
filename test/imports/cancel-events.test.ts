import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimNext } from '../../src/lifecycle/transitions.js';
import { LostLease, runImport } from '../../src/pipeline/run-import.js';
import { importer } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const workingRows = async (id: string) =>
  (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1', [id])).rows[0]!.n;

describe('cancel', () => {
  it('a queued import ends failed with reason canceled, its phases closed and working rows dropped', async () => {
    const key = await svc.newOrg();
    const created = await svc.call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'A', name: 'A' }] });
    expect(await workingRows(created.body.id)).toBe(1);
    const res = await svc.call('POST', `/v1/imports/${created.body.id}/cancel`, key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', reason: 'canceled' });
    expect(res.body.phases.map((p: any) => p.status)).toEqual(['completed', 'completed', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(await workingRows(created.body.id)).toBe(0);
    await svc.runner.drain();
    expect((await svc.call('GET', `/v1/imports/${created.body.id}`, key)).body.status).toBe('failed');
    expect(await importer(svc, key).records('item')).toEqual([]);
  });

  it('a processing import is fenced out: its worker changes nothing and its rows are dropped', async () => {
    const key = await svc.newOrg();
    const created = await svc.call('POST', '/v1/imports', key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'B', name: 'B' }] });
    const claimed = await claimNext(svc.db, 'test-worker', 60);
    expect(claimed?.id).toBe(created.body.id);
    const res = await svc.call('POST', `/v1/imports/${created.body.id}/cancel`, key);
    expect(res.body).toMatchObject({ status: 'failed', reason: 'canceled' });
    await expect(runImport({ db: svc.db, config: svc.config, storage: svc.storage }, claimed!)).rejects.toBeInstanceOf(LostLease);
    expect(await importer(svc, key).records('item')).toEqual([]);
    const after = await svc.call('GET', `/v1/imports/${created.body.id}`, key);
    expect(after.body.status).toBe('failed');
  });

  it('409 for a final import, 404 for another organization', async () => {
    const key = await svc.newOrg();
    const done = await importer(svc, key).merge('item', [{ external_id: 'C', name: 'C' }]);
    expect(done.status).toBe('completed');
    const res = await svc.call('POST', `/v1/imports/${done.id}/cancel`, key);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('invalid_state');
    expect((await svc.call('POST', `/v1/imports/${done.id}/cancel`, await svc.newOrg())).status).toBe(404);
  });
});

describe('change events', () => {
  it('let a reader reconstruct every record\'s previous values', async () => {
    const key = await svc.newOrg();
    const t = importer(svc, key);
    await t.merge('item', [
      { external_id: 'X', name: 'Xylophone', value: 100, vendor: 'V1' },
      { external_id: 'Y', name: 'Yoyo', value: 5 },
    ]);
    const initial = await t.byKey('item');
    const second = await t.merge('item', [
      { external_id: 'X', name: 'Xylophone 2', vendor: null },
      { external_id: 'Y', name: 'Yoyo' },
      { external_id: 'Z', name: 'Zither' },
    ]);
    expect(second.stats).toMatchObject({ created: 1, updated: 1, unchanged: 1, events: 2 });
    const events = await t.events(second.id);
    expect(events.map((e) => e.type).sort()).toEqual(['record.created', 'record.updated']);
    const now = await t.byKey('item');
    for (const e of events) {
      expect(e.import_id).toBe(second.id);
      const current = [...now.values()].find((r) => r.id === e.record_id);
      const { id: _id, object: _o, created_at: _c, updated_at: _u, ...fields } = current;
      expect(e.after).toEqual(fields);
      if (e.type === 'record.updated') {
        const { id: _i, object: _ob, created_at: _ca, updated_at: _ua, ...was } = initial.get(current.external_id);
        expect(e.before).toEqual(was);
      } else {
        expect(e.before).toBeNull();
      }
    }
  });
});
