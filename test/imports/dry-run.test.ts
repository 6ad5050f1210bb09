import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importer, place, type Row } from '../support/imports.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';

// Issue 16: a dry run reports what the real run of the same file would do — stats, row errors,
// the would-be changes — and changes no record and writes no event; the real run then does
// exactly that.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function freshOrg() {
  const key = await svc.newOrg();
  const t = importer(svc, key);
  async function all(url: string): Promise<any[]> {
    const out: any[] = [];
    for (let after: string | null = null; ; ) {
      const sep = url.includes('?') ? '&' : '?';
      const res: { status: number; body: any } = await svc.call('GET', `${url}${sep}limit=1000${after ? `&starting_after=${after}` : ''}`, key);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      out.push(...res.body.data);
      if (!res.body.pagination.has_more) return out;
      after = res.body.data.at(-1).id;
    }
  }
  /** Every record of every resource and every event of the organization, as the API shows them. */
  const state = async () => ({
    records: await Promise.all(['location', 'group', 'contact', 'item', 'asset'].map((r) => all(`/v1/resources/${r}/records`))),
    events: await all('/v1/events'),
  });
  const changes = (id: string, query = '') => all(`/v1/imports/${id}/changes${query ? `?${query}` : ''}`);
  /**
   * Changes without their ids (a forecast's ids are not the events' ids), in a stable order. A
   * record the import creates gets its id when it is created, so the forecast's is provisional.
   */
  const comparable = (list: any[]) =>
    list
      .map(({ id, ...c }) => (c.change === 'created' ? { ...c, record_id: 'new' } : c))
      .sort((a, b) => `${a.record_id}${a.change}${JSON.stringify(a.before)}${JSON.stringify(a.after)}`.localeCompare(`${b.record_id}${b.change}${JSON.stringify(b.before)}${JSON.stringify(b.after)}`));
  /** Dry-runs the file, checks nothing changed, runs it for real, checks the forecast was exact. */
  async function forecastThenRun(resource: string, action: string, data: unknown, extra: Row = {}) {
    const before = await state();
    const dry = await t.run(resource, action, data, { ...extra, dry_run: true });
    expect(dry).toMatchObject({ status: 'completed', dry_run: true });
    expect(await state()).toEqual(before);
    const forecast = await changes(dry.id);
    const dryErrors = await t.errors(dry.id);
    const real = await t.run(resource, action, data, extra);
    expect(real.dry_run).toBe(false);
    expect(real.stats).toEqual(dry.stats);
    expect(real.reason).toEqual(dry.reason);
    expect(comparable(await changes(real.id))).toEqual(comparable(forecast));
    expect(await t.errors(real.id)).toEqual(dryErrors);
    return { dry, real, forecast };
  }
  return { key, t, all, state, changes, forecastThenRun };
}

const items = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ external_id: `I${from + i}`, name: `Item ${from + i}`, sku: `SKU-${from + i}` }));

describe('dry run', () => {
  it('overwrite: reports the records it would create, update and delete; changes nothing; the real run does exactly that', async () => {
    const o = await freshOrg();
    await o.t.merge('item', items(10));
    const file = [...items(5), { external_id: 'I6', name: 'Renamed', sku: 'SKU-6' }, { external_id: 'NEW', name: 'New item' }, { external_id: 'BAD', value: 'x' }];
    const { dry, forecast } = await o.forecastThenRun('item', 'overwrite', file, { allow_mass_delete: true });
    expect(dry.stats).toMatchObject({ total: 8, created: 1, updated: 1, unchanged: 5, errors: 1, overwritten: 4, events: 6 });
    expect(statsAddUp(dry.stats)).toBe(true);
    const by = (kind: string) => forecast.filter((c) => c.change === kind);
    expect(by('created').map((c) => c.after.external_id)).toEqual(['NEW']);
    expect(by('created')[0]).toMatchObject({ object: 'change', resource: 'item', before: null });
    expect(by('updated')).toHaveLength(1);
    expect(by('updated')[0].before).toMatchObject({ external_id: 'I6', name: 'Item 6', sku: 'SKU-6' });
    expect(by('updated')[0].after).toMatchObject({ external_id: 'I6', name: 'Renamed' });
    expect(by('deleted').map((c) => c.before.external_id).sort()).toEqual(['I10', 'I7', 'I8', 'I9']);
    expect(by('deleted').every((c) => c.after === null)).toBe(true);
    // The filter gives the same changes.
    expect((await o.changes(dry.id, 'change=deleted')).map((c) => c.record_id).sort()).toEqual(by('deleted').map((c) => c.record_id).sort());
    expect([...(await o.t.byKey('item')).keys()].sort()).toEqual(['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'NEW'].sort());
  });

  it('merge: created and updated records are forecast with their values; the real run writes them', async () => {
    const o = await freshOrg();
    await o.t.merge('location', [place('L1'), place('L2')]);
    await o.t.merge('contact', [{ external_id: 'C1', name: 'Ann', email: 'ann@example.com', locations: 'L1' }]);
    const file = [
      { external_id: 'C1', name: 'Ann B', locations: 'L1, L2' },
      { external_id: 'C2', name: 'Bob', email: 'BOB@example.com' },
      { external_id: 'C2', name: 'Bob again' }, // duplicate
      { external_id: 'C3', name: 'Cy', locations: 'NOWHERE' }, // invalid_reference
    ];
    const { dry, forecast } = await o.forecastThenRun('contact', 'merge', file, { duplicate_handling: 'use_first' });
    expect(dry.stats).toMatchObject({ total: 4, created: 1, updated: 1, duplicates: 1, errors: 1, events: 2 });
    expect(forecast.find((c) => c.change === 'created').after).toMatchObject({ external_id: 'C2', email: 'bob@example.com' });
    expect(forecast.find((c) => c.change === 'updated').after.locations).toHaveLength(2);
  });

  it('delete: the records it would delete and the references it would clear, even two fields of one record', async () => {
    const o = await freshOrg();
    await o.t.merge('location', [place('L1'), place('L2')]);
    await o.t.merge('group', [{ external_id: 'G', name: 'Sites', type: 'location', location: 'L1', children: 'L1, L2' }]);
    await o.t.merge('contact', [{ external_id: 'C', name: 'Ann', locations: 'L1, L2' }]);
    const { dry, forecast } = await o.forecastThenRun('location', 'delete', [{ external_id: 'L1' }, { external_id: 'MISSING' }]);
    expect(dry.stats).toMatchObject({ total: 2, deleted: 1, errors: 1 });
    const group = forecast.filter((c) => c.resource === 'group');
    // The group loses L1 from `location` and from `children`: two updates, the second starting
    // where the first left it, as the real run writes them.
    expect(group).toHaveLength(2);
    expect(forecast.filter((c) => c.resource === 'contact')).toHaveLength(1);
    expect(forecast.filter((c) => c.change === 'deleted').map((c) => c.before.code)).toEqual(['L1']);
    expect((await o.t.byKey('location')).has('L1')).toBe(false);
  });

  it('the mass-delete guard is reported, as the real run would meet it, and nothing is forecast deleted', async () => {
    const o = await freshOrg();
    await o.t.merge('item', items(10));
    const { dry, forecast } = await o.forecastThenRun('item', 'overwrite', items(2));
    expect(dry.reason).toMatch(/^mass_delete_refused: cleanup would delete 8 of 10/);
    expect(forecast.filter((c) => c.change === 'deleted')).toEqual([]);
  });

  it('async uploads run dry too', async () => {
    const o = await freshOrg();
    await o.t.merge('item', items(3));
    const before = await o.state();
    const created = await svc.call('POST', '/v1/imports', o.key, { resource: 'item', action: 'merge', upload_mode: 'async', dry_run: true });
    expect(created.body.dry_run).toBe(true);
    const csv = 'external_id,name\nI1,Changed\nI9,Nine\n';
    const put = await svc.app.inject({ method: 'PUT', url: new URL(created.body._upload_url).pathname + new URL(created.body._upload_url).search, payload: csv });
    expect(put.statusCode).toBe(200);
    const done = await svc.settle(created.body.id, o.key);
    expect(done.stats).toMatchObject({ created: 1, updated: 1, unchanged: 0 });
    expect(await o.state()).toEqual(before);
    expect((await o.changes(done.id)).map((c) => c.change).sort()).toEqual(['created', 'updated']);
  });

  it('rejects a non-boolean dry_run with a 400 naming it', async () => {
    const o = await freshOrg();
    const res = await svc.call('POST', '/v1/imports', o.key, { resource: 'item', action: 'merge', upload_mode: 'sync', data: items(1), dry_run: 'yes' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('dry_run');
  });

  it('changes of another organization\'s import are 404', async () => {
    const o = await freshOrg();
    const imp = await o.t.merge('item', items(1));
    const other = await svc.newOrg();
    expect((await svc.call('GET', `/v1/imports/${imp.id}/changes`, other)).status).toBe(404);
  });
});
