import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { codes, freshKit, idOf, seed, type Action, type ErrorCode, type Row } from './kit.js';

// SPEC §3 / §6 identity rules, for every action on contact and item: `id` first, then lookup
// keys in declared order; missing_identity, not_found, ambiguous_identity. Each case is one
// row plus a control row (naming record K), run against a fresh organization.

const S = {
  names: '§3 "A row names its record by `id` if present, else by the first lookup key it has a value for."',
  missing: '§6 transforming "`missing_identity` (no id, no key)"',
  notFoundId: '§6 transforming "`not_found` (unknown `id` …)"',
  notFoundDelete: '§6 transforming "`not_found` (… any unmatched row for `delete`)"; §3 delete "no match → error `not_found`"',
  ambiguousMany: '§6 transforming "`ambiguous_identity` (a key matches several records …)"',
  ambiguousKeys: '§6 transforming "`ambiguous_identity` (… or keys disagree)"',
  creates: '§3 merge "An unmatched row creates a record"',
  emails: '§2 "emails are compared case-insensitively"',
  empty: '§3 merge "absent or empty cells" (an empty cell is no value)',
  mentioned: '§3 overwrite "A record is mentioned if any row of the file — valid or invalid — names it"',
};

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

type Outcome = ErrorCode | 'created' | 'updated' | 'deleted';

interface IdCase {
  spec: string;
  what: string;
  resource: 'contact' | 'item';
  /** `@X` in a value is replaced by the id of seeded record X. */
  row: Row;
  outcome: Record<Action, Outcome>;
  /** The seeded record the row names (updated or deleted when it succeeds, kept by overwrite when it fails). */
  names?: string[];
}

const initial: Record<'contact' | 'item', Row[]> = {
  contact: [
    { external_id: 'C1', name: 'Ann', email: 'ann@x.com' },
    { external_id: 'C2', name: 'Bob', email: 'bob@x.com' },
    { external_id: 'C3', name: 'Cy', email: 'shared@x.com' },
    { external_id: 'C4', name: 'Di', email: 'shared@x.com' },
    { external_id: 'K', name: 'Kay', email: 'kay@x.com' },
  ],
  item: [
    { external_id: 'I1', name: 'Widget', sku: 'S1', gtin: 'G1' },
    { external_id: 'I2', name: 'Gadget', sku: 'S2', gtin: 'G2' },
    { external_id: 'I3', name: 'Dup A', sku: 'DUP' },
    { external_id: 'I4', name: 'Dup B', sku: 'DUP' },
    { external_id: 'K', name: 'Keeper', sku: 'SK' },
  ],
};
const control: Record<'contact' | 'item', Row> = { contact: initial.contact[4]!, item: initial.item[4]! };

const all = (o: Outcome): Record<Action, Outcome> => ({ merge: o, overwrite: o, delete: o });
const upsert = (o: Outcome, del: Outcome): Record<Action, Outcome> => ({ merge: o, overwrite: o, delete: del });

const cases: IdCase[] = [
  // contact
  { spec: S.missing, what: 'no id and no key value', resource: 'contact', row: { name: 'Nobody', phone: '123' }, outcome: all('missing_identity') },
  { spec: `${S.missing}; ${S.empty}`, what: 'keys present but empty', resource: 'contact', row: { external_id: '', email: '  ', name: 'Nobody' }, outcome: all('missing_identity') },
  { spec: S.notFoundId, what: 'an id that matches nothing', resource: 'contact', row: { id: 'con_doesnotexist1', name: 'X' }, outcome: all('not_found') },
  { spec: S.ambiguousMany, what: 'email shared by C3 and C4', resource: 'contact', row: { email: 'SHARED@x.com', name: 'X' }, outcome: all('ambiguous_identity'), names: ['C3', 'C4'] },
  { spec: S.ambiguousKeys, what: 'external_id names C1, email names C2', resource: 'contact', row: { external_id: 'C1', email: 'bob@x.com', name: 'X' }, outcome: all('ambiguous_identity'), names: ['C1'] },
  { spec: S.ambiguousKeys, what: 'id names C1, external_id names C2', resource: 'contact', row: { id: '@C1', external_id: 'C2', name: 'X' }, outcome: all('ambiguous_identity'), names: ['C1'] },
  { spec: S.names, what: 'id first: C1 by id, renaming its unmatched external_id', resource: 'contact', row: { id: '@C1', external_id: 'C1-new', name: 'Ann', email: 'ann@x.com' }, outcome: upsert('updated', 'deleted'), names: ['C1'] },
  { spec: `${S.names}; ${S.emails}`, what: 'no external_id: C1 by email in another case', resource: 'contact', row: { email: ' ANN@X.com', name: 'Ann 2' }, outcome: upsert('updated', 'deleted'), names: ['C1'] },
  { spec: `${S.names}; ${S.creates}; ${S.notFoundDelete}`, what: 'unmatched external_id creates (delete: not_found)', resource: 'contact', row: { external_id: 'C9', name: 'New' }, outcome: upsert('created', 'not_found') },
  // item
  { spec: S.missing, what: 'no id and no key value', resource: 'item', row: { name: 'Nothing', vendor: 'Acme' }, outcome: all('missing_identity') },
  { spec: S.notFoundId, what: 'an id that matches nothing', resource: 'item', row: { id: 'itm_doesnotexist1', name: 'X' }, outcome: all('not_found') },
  { spec: S.ambiguousMany, what: 'sku shared by I3 and I4', resource: 'item', row: { sku: 'DUP', name: 'X' }, outcome: all('ambiguous_identity'), names: ['I3', 'I4'] },
  { spec: S.ambiguousKeys, what: 'external_id names I1, sku names I2', resource: 'item', row: { external_id: 'I1', sku: 'S2', name: 'X' }, outcome: all('ambiguous_identity'), names: ['I1'] },
  { spec: S.ambiguousKeys, what: 'sku names I1, gtin names I2', resource: 'item', row: { sku: 'S1', gtin: 'G2', name: 'X' }, outcome: all('ambiguous_identity'), names: ['I1'] },
  { spec: S.names, what: 'id first: I2 by id', resource: 'item', row: { id: '@I2', name: 'Gadget 2', sku: 'S2', gtin: 'G2' }, outcome: upsert('updated', 'deleted'), names: ['I2'] },
  { spec: S.names, what: 'key order: I1 by sku; the unmatched gtin is only a value', resource: 'item', row: { sku: ' S1 ', gtin: 'G-new', name: 'Widget' }, outcome: upsert('updated', 'deleted'), names: ['I1'] },
  { spec: `${S.names}; ${S.empty}`, what: 'empty external_id is skipped: I2 by gtin', resource: 'item', row: { external_id: '', gtin: 'G2', name: 'Gadget 3', sku: 'S2' }, outcome: upsert('updated', 'deleted'), names: ['I2'] },
  { spec: `${S.names}; ${S.creates}; ${S.notFoundDelete}`, what: 'unmatched sku creates (delete: not_found)', resource: 'item', row: { sku: 'S-new', name: 'New' }, outcome: upsert('created', 'not_found') },
  { spec: `${S.names}; ${S.notFoundDelete}`, what: 'delete names by the first key: unmatched external_id is not_found even when its sku matches', resource: 'item', row: { external_id: 'I9', sku: 'S1' }, outcome: { merge: 'missing_required_field', overwrite: 'missing_required_field', delete: 'not_found' } },
];

const ERROR_PHASE: Partial<Record<ErrorCode, string>> = {
  missing_identity: 'transforming',
  not_found: 'transforming',
  ambiguous_identity: 'transforming',
  missing_required_field: 'validation',
};

function resolveIds(row: Row, ids: Map<string, string>): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('@') ? idOf(ids, v.slice(1)) : v]));
}

const actions: Action[] = ['merge', 'overwrite', 'delete'];

describe.each(cases)('$resource: $what', (c) => {
  for (const action of actions) {
    const outcome = c.outcome[action];
    it(`${action} → ${outcome} — ${c.spec}`, async () => {
      const k = await freshKit(svc);
      const ids = await seed(k, c.resource, initial[c.resource]);
      const row = resolveIds(c.row, ids);
      const ctl = action === 'delete' ? { external_id: 'K' } : control[c.resource];
      const imp = await k.run(c.resource, action, [row, ctl], { allow_mass_delete: true });
      expect(imp.status).toBe('completed');
      const errors = await k.errors(imp.id);
      const isError = !['created', 'updated', 'deleted'].includes(outcome);
      expect(codes(errors)).toEqual(isError ? [[1, outcome]] : []);
      if (isError) {
        expect(errors[0]!.phase).toBe(ERROR_PHASE[outcome as ErrorCode]);
        expect(errors[0]!.data).toEqual(row);
      }
      const ctlStat = action === 'delete' ? 'deleted' : 'unchanged';
      const want = { total: 2, created: 0, updated: 0, unchanged: 0, deleted: 0, duplicates: 0, errors: isError ? 1 : 0 };
      want[ctlStat] += 1;
      if (!isError) want[outcome as 'created' | 'updated' | 'deleted'] += 1;
      expect(imp.stats).toMatchObject(want);

      const after = new Map((await k.records(c.resource)).map((r) => [r.id, r]));
      for (const ext of c.names ?? []) {
        const gone = action === 'delete' && outcome === 'deleted';
        expect(after.has(idOf(ids, ext)), `${ext} ${gone ? 'deleted' : 'kept'}${action === 'overwrite' ? ` (${S.mentioned})` : ''}`).toBe(!gone);
        if (outcome === 'updated' && typeof c.row.name === 'string') expect(after.get(idOf(ids, ext))?.name).toBe(c.row.name);
      }
      if (outcome === 'created') expect(after.size).toBe(action === 'overwrite' ? 2 : initial[c.resource].length + 1);
    });
  }
});

describe('id first, then lookup keys (merge specifics)', () => {
  it(`the id wins over the row's unmatched external_id, which is renamed — ${S.names}`, async () => {
    const k = await freshKit(svc);
    const ids = await seed(k, 'contact', initial.contact);
    const imp = await k.merge('contact', [{ id: idOf(ids, 'C1'), external_id: 'C1-renamed' }]);
    expect(imp.stats).toMatchObject({ updated: 1 });
    const byExt = await k.byExt('contact');
    expect(byExt.get('C1-renamed')?.id).toBe(idOf(ids, 'C1'));
    expect(byExt.has('C1')).toBe(false);
  });

  it(`a row with an unmatched first key creates a record even when a later key names one — ${S.names}; ${S.creates}`, async () => {
    const k = await freshKit(svc);
    await seed(k, 'item', initial.item);
    const imp = await k.merge('item', [{ external_id: 'I9', sku: 'S1', name: 'Nine' }]);
    expect(imp.stats).toMatchObject({ created: 1, errors: 0 });
    expect((await k.byExt('item')).get('I9')).toMatchObject({ sku: 'S1', name: 'Nine' });
  });
});
