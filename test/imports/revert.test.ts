import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importer, place } from '../support/imports.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';

// Issue 16 part 2: POST /v1/imports/{id}/revert takes a completed import back from its events,
// as an import of its own run by the worker.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

type T = ReturnType<typeof importer> & { key: string };
async function freshOrg(): Promise<T> {
  const key = await svc.newOrg();
  return { ...importer(svc, key), key };
}

/** Every record of every resource, by id, without updated_at (a revert is a change: it moves it). */
async function snapshot(t: T) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const resource of ['location', 'group', 'contact', 'item', 'asset']) {
    for (const { updated_at: _u, ...r } of await t.records(resource)) out[r.id] = r;
  }
  return out;
}

async function revert(t: T, id: string, body?: object) {
  return svc.call('POST', `/v1/imports/${id}/revert`, t.key, body);
}

/** Asks for the revert and runs it to its end. */
async function reverted(t: T, id: string, body?: object) {
  const res = await revert(t, id, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body).toMatchObject({ status: 'queued', reverts: id, reverted_by: null });
  const done = await svc.settle(res.body.id, t.key);
  expect(done.status, JSON.stringify(done)).toBe('completed');
  expect(statsAddUp(done.stats)).toBe(true);
  return done;
}

async function contactsWorld(t: T) {
  await t.merge('location', [place('L1'), place('L2'), place('L3')]);
  await t.merge('group', [{ external_id: 'G1', name: 'Team', type: 'contact' }, { external_id: 'G2', name: 'Depot', type: 'location', children: 'L1,L2', location: 'L3' }]);
  await t.merge('contact', [
    { external_id: 'C1', name: 'Ann', email: 'ann@x.test', locations: 'L1', groups: 'G1', metadata: { tier: 1 } },
    { external_id: 'C2', name: 'Bob', locations: 'L2,L3' },
    { external_id: 'C3', name: 'Cid' },
  ]);
}

describe('revert', () => {
  it('a merge, reverted: every record is what it was before (values, references, ids), and the events show both', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const before = await snapshot(t);
    const merge = await t.merge('contact', [
      { external_id: 'C1', name: 'Ann B', locations: 'L2,L3', groups: '', metadata: { tier: 2 } },
      { external_id: 'C2', groups: 'G1', notes: 'moved' },
      { external_id: 'C3', name: 'Cid' }, // unchanged
      { external_id: 'C4', name: 'New', locations: 'L1', groups: 'G1' },
      { external_id: 'C5', name: 'Newer' },
    ]);
    expect(merge.stats).toMatchObject({ created: 2, updated: 2, unchanged: 1 });

    const rev = await reverted(t, merge.id);
    expect(rev).toMatchObject({ resource: 'contact', reverts: merge.id, reverted_by: null });
    expect(rev.stats).toMatchObject({ total: 4, created: 0, updated: 2, deleted: 2, unchanged: 0, errors: 0, events: 4 });
    expect(rev.phases.map((p: any) => [p.name, p.status])).toEqual([
      ['prevalidation', 'completed'],
      ['preparsing', 'skipped'],
      ['transforming', 'skipped'],
      ['parsing', 'skipped'],
      ['validation', 'completed'],
      ['processing', 'completed'],
      ['cleanup', 'completed'],
    ]);
    expect(await snapshot(t)).toEqual(before);

    const original = (await svc.call('GET', `/v1/imports/${merge.id}`, t.key)).body;
    expect(original.reverted_by).toBe(rev.id);
    const mergeEvents = await t.events(merge.id);
    const revertEvents = await t.events(rev.id);
    expect(mergeEvents).toHaveLength(4);
    expect(revertEvents.map((e) => e.type).sort()).toEqual(['record.deleted', 'record.deleted', 'record.updated', 'record.updated']);
    // Each revert event undoes the merge's event on the same record: its before is the merge's after.
    for (const e of revertEvents) {
      const m = mergeEvents.find((x) => x.record_id === e.record_id)!;
      expect(e.before).toEqual(m.after);
      expect(e.after).toEqual(m.before);
      expect(e.import_id).toBe(rev.id);
    }
  });

  it('an overwrite, reverted: the records its cleanup deleted are back with the same ids, created_at and the references cleared from others', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const before = await snapshot(t);
    const over = await t.run('location', 'overwrite', [place('L1', { city: 'Shelbyville' })], { allow_mass_delete: true });
    expect(over.stats).toMatchObject({ updated: 1, overwritten: 2 });
    const after = await snapshot(t);
    expect(Object.values(after).filter((r) => String(r.id).startsWith('loc_'))).toHaveLength(1);

    const rev = await reverted(t, over.id, { allow_mass_delete: true });
    // L2, L3 inserted again; L1 back to its city; C2 and G2 get their references to L2, L3 back.
    expect(rev.stats).toMatchObject({ created: 2, updated: 3, deleted: 0, errors: 0 });
    expect(await snapshot(t)).toEqual(before);
  });

  it('a delete with cascades, reverted: the groups are back and contacts hold them again', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const before = await snapshot(t);
    const del = await t.run('group', 'delete', [{ external_id: 'G1' }]);
    expect(del.stats).toMatchObject({ deleted: 1 });
    expect((await t.byKey('contact')).get('C1').groups).toEqual([]);
    await reverted(t, del.id);
    expect(await snapshot(t)).toEqual(before);
  });

  it('a record changed since by a later import: 409 naming it (paged), nothing changed; force reverts it anyway', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const merge = await t.merge('contact', [{ external_id: 'C1', name: 'Ann B' }, { external_id: 'C2', name: 'Bob B' }, { external_id: 'C9', name: 'Nine' }]);
    const c1 = (await t.byKey('contact')).get('C1');
    const later = await t.merge('contact', [{ external_id: 'C1', notes: 'later' }]);
    const untouched = await snapshot(t);

    const res = await revert(t, merge.id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('revert_conflict');
    expect(res.body.error.message).toContain('1 record');
    expect(res.body.error.details).toMatchObject({ total_count: 1, conflicts_url: `/v1/imports/${merge.id}/revert-conflicts` });
    expect(res.body.error.details.conflicts).toEqual([
      { resource: 'contact', record_id: c1.id, change: 'updated', conflict: 'changed_since', later_event_id: expect.stringMatching(/^evt_/), later_import_id: later.id, other_record_id: null },
    ]);
    const listed = await svc.call('GET', `/v1/imports/${merge.id}/revert-conflicts?limit=1`, t.key);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ data: [{ record_id: c1.id }], pagination: { page: 1, limit: 1, has_more: false, total_count: 1 } });
    expect(await snapshot(t)).toEqual(untouched);
    expect((await svc.call('GET', `/v1/imports/${merge.id}`, t.key)).body.reverted_by).toBeNull();

    // A deleted record counts too.
    await t.run('contact', 'delete', [{ external_id: 'C9' }]);
    const two = await svc.call('GET', `/v1/imports/${merge.id}/revert-conflicts?limit=1&page=2`, t.key);
    expect(two.body).toMatchObject({ data: [{ change: 'created', conflict: 'deleted_since' }], pagination: { page: 2, has_more: false, total_count: 2 } });

    const rev = await reverted(t, merge.id, { force: true });
    // C1's later note goes too: force overwrites later changes with the values before the merge.
    const now = await t.byKey('contact');
    expect(now.get('C1')).toMatchObject({ name: 'Ann', notes: null });
    expect(now.get('C2')).toMatchObject({ name: 'Bob' });
    expect(now.has('C9')).toBe(false);
    // C9 was gone already: unchanged.
    expect(rev.stats).toMatchObject({ total: 3, updated: 2, unchanged: 1, deleted: 0 });
  });

  it('a record changed after the revert was asked for but before it ran: the revert fails with nothing changed, and can be asked for again', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const merge = await t.merge('contact', [{ external_id: 'C1', name: 'Ann B' }, { external_id: 'C2', name: 'Bob B' }]);
    // Queued before the revert, so the worker runs it first.
    const later = await svc.call('POST', '/v1/imports', t.key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'C2', notes: 'later' }] });
    expect(later.body.status).toBe('queued');
    const res = await revert(t, merge.id);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const rev = await svc.settle(res.body.id, t.key);
    expect(rev.status).toBe('failed');
    expect(rev.reason).toMatch(/^revert_conflict: records changed since by something else: contact con_\w+ \(changed since by imp_/);
    expect(rev.phases.find((p: any) => p.name === 'validation').status).toBe('failed');
    expect((await svc.call('GET', `/v1/imports/${later.body.id}`, t.key)).body.status).toBe('completed');
    const now = await t.byKey('contact');
    expect(now.get('C1').name).toBe('Ann B');
    expect(now.get('C2')).toMatchObject({ name: 'Bob B', notes: 'later' });
    expect(await t.events(rev.id)).toHaveLength(0);
    // A failed revert does not hold the import: it can be reverted again (here, with force).
    expect((await svc.call('GET', `/v1/imports/${merge.id}`, t.key)).body.reverted_by).toBeNull();
    const again = await reverted(t, merge.id, { force: true });
    expect(again.stats).toMatchObject({ updated: 2 });
    expect((await t.byKey('contact')).get('C2')).toMatchObject({ name: 'Bob', notes: null });
  });

  it('forced over what cannot be undone: a row error each (external_id taken since, record deleted since), the rest reverted', async () => {
    const t = await freshOrg();
    await t.merge('item', [1, 2, 3, 4].map((n) => ({ external_id: `I${n}`, name: `Item ${n}` })));
    const over = await t.run('item', 'overwrite', [{ external_id: 'I1', name: 'One' }, { external_id: 'I2', name: 'Two' }], { allow_mass_delete: true });
    expect(over.stats).toMatchObject({ updated: 2, overwritten: 2 });
    const i3 = (await t.events(over.id)).find((e) => e.type === 'record.deleted' && e.before.external_id === 'I3').record_id;
    await t.merge('item', [{ external_id: 'I3', name: 'Another three' }]);
    await t.run('item', 'delete', [{ external_id: 'I2' }]);

    const res = await revert(t, over.id);
    expect(res.status).toBe(409);
    expect(res.body.error.details.conflicts.map((c: any) => [c.record_id === i3 ? 'I3' : c.change, c.conflict])).toEqual(
      expect.arrayContaining([
        ['I3', 'external_id_taken'],
        ['updated', 'deleted_since'],
      ]),
    );
    const rev = await reverted(t, over.id, { force: true });
    expect(rev.stats).toMatchObject({ total: 4, created: 1, updated: 1, errors: 2 });
    expect((await t.errors(rev.id)).map((e) => [e.code, e.field, e.data.change])).toEqual(
      expect.arrayContaining([
        ['ambiguous_identity', 'external_id', 'deleted'],
        ['not_found', null, 'updated'],
      ]),
    );
    const now = await t.byKey('item');
    expect([...now.keys()].sort()).toEqual(['I1', 'I3', 'I4']);
    expect(now.get('I1').name).toBe('Item 1');
    expect(now.get('I3')).toMatchObject({ name: 'Another three' });
    expect(now.get('I3').id).not.toBe(i3);
  });

  it('a revert is itself revertable; an import is reverted once; other organizations get 404', async () => {
    const t = await freshOrg();
    await contactsWorld(t);
    const merge = await t.merge('contact', [{ external_id: 'C1', name: 'Ann B', groups: '' }, { external_id: 'C7', name: 'Seven', groups: 'G1' }]);
    const merged = await snapshot(t);
    const rev = await reverted(t, merge.id);

    const again = await revert(t, merge.id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_reverted', details: { reverted_by: rev.id } });
    expect(again.body.error.message).toContain(rev.id);

    const other = await freshOrg();
    expect((await revert(other, merge.id)).status).toBe(404);
    expect((await svc.call('GET', `/v1/imports/${merge.id}/revert-conflicts`, other.key)).status).toBe(404);

    const revrev = await reverted(t, rev.id);
    expect(revrev.reverts).toBe(rev.id);
    // C7 is back with the same id (and created_at); C1 has the merge's values again.
    expect(await snapshot(t)).toEqual(merged);
  });

  it('the mass-delete guard applies to what a revert deletes', async () => {
    const t = await freshOrg();
    await t.merge('item', [{ external_id: 'OLD', name: 'Old' }]);
    const merge = await t.merge('item', Array.from({ length: 4 }, (_, i) => ({ external_id: `N${i}`, name: `New ${i}` })));
    const res = await revert(t, merge.id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('mass_delete_refused');
    expect(res.body.error.message).toContain('4 of 5');
    const rev = await reverted(t, merge.id, { allow_mass_delete: true });
    expect(rev.stats).toMatchObject({ deleted: 4 });
    expect([...(await t.byKey('item')).keys()]).toEqual(['OLD']);
  });

  it('a created record another record now requires is kept, with a still_referenced row error', async () => {
    const t = await freshOrg();
    await t.merge('location', [place('L1')]);
    await t.merge('item', [{ external_id: 'I0', name: 'Zero' }, { external_id: 'I9', name: 'Nine' }]);
    const merge = await t.merge('item', [{ external_id: 'I1', name: 'One' }]);
    await t.merge('asset', [{ external_id: 'A1', item: 'I1', location: 'L1' }]);
    const rev = await reverted(t, merge.id);
    expect(rev.stats).toMatchObject({ total: 1, deleted: 0, errors: 1 });
    expect(await t.errors(rev.id)).toMatchObject([{ row: 1, phase: 'processing', code: 'still_referenced', data: { resource: 'item', change: 'created' } }]);
    expect((await t.byKey('item')).has('I1')).toBe(true);
  });

  it('refuses what cannot be reverted: an import not completed, one that changed nothing; a body with unknown fields', async () => {
    const t = await freshOrg();
    await t.merge('item', [{ external_id: 'I1', name: 'One' }]);
    const same = await t.merge('item', [{ external_id: 'I1', name: 'One' }]);
    expect(same.stats.unchanged).toBe(1);
    const nothing = await revert(t, same.id);
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe('invalid_state');
    const queued = await svc.call('POST', '/v1/imports', t.key, { resource: 'item', action: 'merge', upload_mode: 'async' });
    const notDone = await revert(t, queued.body.id);
    expect(notDone.status).toBe(409);
    expect(notDone.body.error.message).toContain('requested');
    const bad = await revert(t, same.id, { forse: true });
    expect(bad.status).toBe(400);
  });
});
