import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importer, place } from '../support/imports.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';

// SPEC §3 overwrite and delete, one test per sentence.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function freshOrg() {
  return importer(svc, await svc.newOrg());
}

const items = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ external_id: `I${from + i}`, name: `Item ${from + i}`, sku: `SKU-${from + i}` }));

describe('overwrite', () => {
  it('deletes exactly the records the file does not mention, and reports them as overwritten', async () => {
    const t = await freshOrg();
    await t.merge('item', items(10));
    const imp = await t.run('item', 'overwrite', items(6), { allow_mass_delete: false });
    expect(imp.status).toBe('completed');
    expect(imp.reason).toBeNull();
    expect(imp.stats).toMatchObject({ total: 6, unchanged: 6, overwritten: 4, events: 4 });
    expect(statsAddUp(imp.stats)).toBe(true);
    expect([...(await t.byKey('item')).keys()].sort()).toEqual(['I1', 'I2', 'I3', 'I4', 'I5', 'I6']);
    const events = await t.events(imp.id);
    expect(events.filter((e) => e.type === 'record.deleted').map((e) => e.before.external_id).sort()).toEqual(['I10', 'I7', 'I8', 'I9']);
  });

  it('replaces every field of matched records: fields the row does not give are reset', async () => {
    const t = await freshOrg();
    await t.merge('item', [{ external_id: 'A', name: 'Old', vendor: 'Acme', value: 100 }]);
    const imp = await t.run('item', 'overwrite', [{ external_id: 'A', name: 'New' }]);
    expect(imp.stats).toMatchObject({ updated: 1 });
    expect((await t.byKey('item')).get('A')).toMatchObject({ name: 'New', vendor: null, value: null });
  });

  it('a row rejected for a typo still mentions its record, which is kept', async () => {
    const t = await freshOrg();
    await t.merge('item', items(4));
    const rows: any[] = items(4);
    rows[1] = { ...rows[1], value: 'twelve' }; // invalid_value in prevalidation
    const imp = await t.run('item', 'overwrite', rows);
    expect(imp.stats).toMatchObject({ total: 4, unchanged: 3, errors: 1, overwritten: 0 });
    expect((await t.byKey('item')).has('I2')).toBe(true);
  });

  it('a row with a parse error (too many cells) still mentions its record, which is kept', async () => {
    const t = await freshOrg();
    await t.merge('item', items(4));
    const csv = 'external_id,name\nI1,a\nI2,b\nI3,c\nI4,d,EXTRA\n';
    const imp = await t.run('item', 'overwrite', `data:text/csv;base64,${Buffer.from(csv).toString('base64')}`);
    expect(imp.stats).toMatchObject({ total: 4, updated: 3, errors: 1, overwritten: 0 });
    expect((await t.errors(imp.id))[0]).toMatchObject({ row: 4, code: 'parse_error' });
    expect((await t.byKey('item')).has('I4')).toBe(true);
  });

  it('the mass-delete guard counts the records that existed at the location before the import', async () => {
    const t = await freshOrg();
    await t.merge('location', [place('L'), place('M')]);
    await t.merge('item', [{ external_id: 'IT', name: 'Laptop' }]);
    const loc = await t.byKey('location');
    await t.merge('asset', Array.from({ length: 10 }, (_, i) => ({ external_id: `A${i}`, item: 'IT', location: 'L' })));
    // Ten new assets placed elsewhere, and none of the ten at L named: cleanup would delete all of them.
    const rows = Array.from({ length: 10 }, (_, i) => ({ external_id: `B${i}`, item: 'IT', location: 'M' }));
    const imp = await t.run('asset', 'overwrite', rows, { location_id: loc.get('L').id });
    expect(imp.reason).toMatch(/^mass_delete_refused: cleanup would delete 10 of 10/);
    expect((await t.records('asset')).length).toBe(20);
  });

  it('an empty file, or one with no valid row, fails and deletes nothing', async () => {
    const t = await freshOrg();
    await t.merge('item', items(3));
    const empty = await t.run('item', 'overwrite', []);
    expect(empty).toMatchObject({ status: 'failed' });
    expect(empty.reason).toMatch(/^no_valid_rows/);
    const invalid = await t.run('item', 'overwrite', [{ external_id: 'I1', value: -1 }]);
    expect(invalid.status).toBe('failed');
    const unresolvable = await t.run('item', 'overwrite', [{ name: 'no identity' }]);
    expect(unresolvable.status).toBe('failed');
    expect(unresolvable.reason).toMatch(/^no_valid_rows/);
    expect((await t.records('item')).length).toBe(3);
  });

  it('refuses a cleanup that would wipe 70% of the records unless allow_mass_delete', async () => {
    const t = await freshOrg();
    await t.merge('item', items(10));
    const refused = await t.run('item', 'overwrite', items(3));
    expect(refused.status).toBe('completed');
    expect(refused.reason).toMatch(/^mass_delete_refused: cleanup would delete 7 of 10/);
    expect(refused.stats.overwritten).toBe(0);
    expect((await t.records('item')).length).toBe(10);
    const allowed = await t.run('item', 'overwrite', items(3), { allow_mass_delete: true });
    expect(allowed).toMatchObject({ status: 'completed', reason: null });
    expect(allowed.stats.overwritten).toBe(7);
    expect((await t.records('item')).length).toBe(3);
  });

  it('with location_id, rows default to that location and cleanup only considers records at it', async () => {
    const t = await freshOrg();
    await t.merge('location', [place('L1'), place('L2')]);
    await t.merge('item', [{ external_id: 'IT', name: 'Laptop' }]);
    const loc = await t.byKey('location');
    const [l1, l2] = [loc.get('L1').id, loc.get('L2').id];
    await t.merge('asset', [
      { external_id: 'A1', item: 'IT', location: 'L1' },
      { external_id: 'A2', item: 'IT', location: 'L1' },
      { external_id: 'A3', item: 'IT', location: 'L2' },
    ]);
    const imp = await t.run('asset', 'overwrite', [{ external_id: 'A1', item: 'IT' }, { external_id: 'A4', item: 'IT' }], {
      location_id: l1,
      allow_mass_delete: true,
    });
    expect(imp.stats).toMatchObject({ created: 1, unchanged: 1, overwritten: 1 });
    const assets = await t.byKey('asset');
    expect([...assets.keys()].sort()).toEqual(['A1', 'A3', 'A4']);
    expect(assets.get('A4').location).toBe(l1);
    expect(assets.get('A3').location).toBe(l2);
    expect(assets.get('A4').serial_number).toMatch(/^SN-/);
  });
});

describe('delete', () => {
  it('deletes records named by id or lookup key; no match is not_found', async () => {
    const t = await freshOrg();
    await t.merge('item', items(4));
    const byExt = await t.byKey('item');
    const imp = await t.run('item', 'delete', [{ id: byExt.get('I1').id }, { sku: 'SKU-2' }, { external_id: 'nope' }, { id: 'itm_0000' }]);
    expect(imp.status).toBe('completed');
    expect(imp.stats).toMatchObject({ total: 4, deleted: 2, errors: 2, events: 2 });
    expect(statsAddUp(imp.stats)).toBe(true);
    const errors = await t.errors(imp.id);
    expect(errors.map((e) => [e.row, e.code, e.phase])).toEqual([[3, 'not_found', 'transforming'], [4, 'not_found', 'transforming']]);
    expect([...(await t.byKey('item')).keys()].sort()).toEqual(['I3', 'I4']);
    const events = await t.events(imp.id);
    expect(events.map((e) => e.type)).toEqual(['record.deleted', 'record.deleted']);
    expect(events.every((e) => e.after === null && e.before.name)).toBe(true);
  });

  it('an item that still has assets is not deleted: still_referenced', async () => {
    const t = await freshOrg();
    await t.merge('location', [place('L1')]);
    await t.merge('item', items(2));
    await t.merge('asset', [{ external_id: 'A1', item: 'I1', location: 'L1' }]);
    const imp = await t.run('item', 'delete', [{ external_id: 'I1' }, { external_id: 'I2' }]);
    expect(imp.stats).toMatchObject({ deleted: 1, errors: 1 });
    const [err] = await t.errors(imp.id);
    expect(err).toMatchObject({ row: 1, code: 'still_referenced', phase: 'validation' });
    expect(err.message).toMatch(/still required by 1 asset/);
    expect((await t.byKey('item')).has('I1')).toBe(true);
  });

  it('removes many-references to a deleted record and nulls optional single ones, with events', async () => {
    const t = await freshOrg();
    await t.merge('location', [place('L1'), place('L2')]);
    await t.merge('group', [{ external_id: 'G1', name: 'Team', type: 'contact', location: 'L1' }]);
    await t.merge('contact', [{ external_id: 'C1', name: 'Ann', locations: 'L1, L2', groups: 'Team' }]);
    const imp = await t.run('location', 'delete', [{ code: 'L1' }]);
    expect(imp.stats).toMatchObject({ deleted: 1, events: 3 });
    const l2 = (await t.byKey('location')).get('L2').id;
    expect((await t.byKey('contact')).get('C1').locations).toEqual([l2]);
    expect((await t.byKey('group')).get('G1').location).toBeNull();
    const events = await t.events(imp.id);
    expect(events.map((e) => `${e.resource}:${e.type}`).sort()).toEqual(['contact:record.updated', 'group:record.updated', 'location:record.deleted']);
  });
});
