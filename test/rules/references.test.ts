import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { codes, freshKit, place, type Kit, type ResourceName, type Row } from './kit.js';

// SPEC §2 references and §6 validation: every reference (contact.groups, contact.locations,
// group.location, group.children, asset.item, asset.location) by id or by any lookup key of its
// target; invalid_reference, ambiguous_reference; many-references replace the set on merge.

const S = {
  cell: '§2 "A reference cell holds an id (`loc_…`) or a value of one of the target\'s lookup keys"',
  many: '§2 "a many-reference cell holds several, comma-separated (JSON: an array)"',
  children: '§2 table: group `children` → contacts or locations, by `type` (many)',
  invalid: '§6 validation "removes rows whose references match nothing (`invalid_reference`)"',
  ambiguous: '§6 validation "… or several (`ambiguous_reference`)"',
  replace: '§3 merge "Many-references given replace the record\'s set."',
  deleted: '§3 delete "References to a deleted record are removed (many) or set to null (optional one); a record still required by another (an item with assets) is not deleted → error `still_referenced`."',
  emptyKeeps: '§3 merge "absent or empty cells leave stored values unchanged (JSON `null` clears)"',
  unchanged: '§3 merge "A matched record whose values would not change is `unchanged` and not written."',
  tenancy: '§11 "never … a write to another organization\'s data" (another org\'s id names nothing here)',
};

let svc: TestService;
let k: Kit;
/** `resource:external_id` → id, for the seeded records (and `other:item` for another org's item). */
const ids = new Map<string, string>();

beforeAll(async () => {
  svc = await startService();
  k = await freshKit(svc);
  const seeds: [ResourceName, Row[]][] = [
    ['location', [
      place('L1'), place('L2'), place('L3', { external_id: 'EXT-L3' }),
      place('LS1', { name: 'Shared' }), place('LS2', { name: 'Shared' }),
      place('LY', { code: 'Y', name: 'Ypsilon' }), place('LZ', { code: 'Z', name: 'Y' }),
    ]],
    ['group', [
      { external_id: 'G1', name: 'Team', type: 'contact' },
      { external_id: 'G2', name: 'Sites', type: 'location' },
      { external_id: 'GD1', name: 'Twin', type: 'contact' },
      { external_id: 'GD2', name: 'Twin', type: 'location' },
    ]],
    ['contact', [{ external_id: 'P1', name: 'Ann', email: 'ann@x.com' }, { external_id: 'P2', name: 'Bob', email: 'bob@x.com' }]],
    ['item', [
      { external_id: 'I1', name: 'Widget', sku: 'S1', gtin: 'GT1' },
      { external_id: 'ID1', name: 'Dup 1', sku: 'DUP' },
      { external_id: 'ID2', name: 'Dup 2', sku: 'DUP' },
    ]],
  ];
  for (const [resource, rows] of seeds) {
    const imp = await k.merge(resource, rows);
    expect(imp.stats).toMatchObject({ created: rows.length, errors: 0 });
    for (const [ext, r] of await k.byExt(resource)) ids.set(`${resource}:${ext}`, r.id);
  }
  const other = await freshKit(svc);
  await other.merge('item', [{ external_id: 'I1', name: 'Foreign widget', sku: 'S1' }]);
  ids.set('other:item', (await other.records('item'))[0]!.id);
});
afterAll(async () => svc?.close());

/** `@resource:ext` → that record's id, in strings and arrays. */
function resolve(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolve);
  if (typeof v !== 'string' || !v.startsWith('@')) return v;
  const id = ids.get(v.slice(1));
  if (!id) throw new Error(`unknown token ${v}`);
  return id;
}
const resolveRow = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([f, v]) => [f, resolve(v)]));
const sorted = (v: unknown) => (Array.isArray(v) ? [...v].sort() : v);

interface RefCase {
  spec: string;
  what: string;
  resource: ResourceName;
  row: Row;
  /** Either the stored reference(s) (as `@resource:ext` tokens) or the row error. */
  stores?: Row;
  error?: { code: 'invalid_reference' | 'ambiguous_reference'; field: string };
}

let n = 0;
const asContact = (refs: Row): Row => ({ external_id: `RC${++n}`, name: 'Ref test', ...refs });
const asGroup = (type: string, refs: Row): Row => ({ external_id: `RG${++n}`, name: `Group ${n}`, type, ...refs });
const asAsset = (refs: Row): Row => ({ external_id: `RA${++n}`, item: 'I1', location: 'L1', ...refs });
const bad = (code: 'invalid_reference' | 'ambiguous_reference', field: string) => ({ code, field });

const cases: RefCase[] = [
  // contact.locations
  { spec: S.cell, what: 'contact.locations by code', resource: 'contact', row: asContact({ locations: 'L1' }), stores: { locations: ['@location:L1'] } },
  { spec: S.cell, what: 'contact.locations by name', resource: 'contact', row: asContact({ locations: 'Place L2' }), stores: { locations: ['@location:L2'] } },
  { spec: S.cell, what: 'contact.locations by external_id', resource: 'contact', row: asContact({ locations: 'EXT-L3' }), stores: { locations: ['@location:EXT-L3'] } },
  { spec: S.cell, what: 'contact.locations by id', resource: 'contact', row: asContact({ locations: '@location:L1' }), stores: { locations: ['@location:L1'] } },
  { spec: S.many, what: 'contact.locations comma-separated, mixed keys', resource: 'contact', row: asContact({ locations: ' L1 , Place L2,EXT-L3' }), stores: { locations: ['@location:L1', '@location:L2', '@location:EXT-L3'] } },
  { spec: S.many, what: 'contact.locations as a JSON array of key and id', resource: 'contact', row: asContact({ locations: ['Place L2', '@location:L1'] }), stores: { locations: ['@location:L1', '@location:L2'] } },
  { spec: S.invalid, what: 'contact.locations with one unknown value', resource: 'contact', row: asContact({ locations: 'L1, NOPE' }), error: bad('invalid_reference', 'locations') },
  { spec: S.invalid, what: 'contact.locations naming a group id', resource: 'contact', row: asContact({ locations: ['@group:G1'] }), error: bad('invalid_reference', 'locations') },
  { spec: S.ambiguous, what: 'contact.locations by a name two locations share', resource: 'contact', row: asContact({ locations: 'Shared' }), error: bad('ambiguous_reference', 'locations') },
  { spec: S.ambiguous, what: 'contact.locations value that is one location\'s code and another\'s name', resource: 'contact', row: asContact({ locations: 'Y' }), error: bad('ambiguous_reference', 'locations') },
  // contact.groups
  { spec: S.cell, what: 'contact.groups by name and external_id', resource: 'contact', row: asContact({ groups: 'Team, G2' }), stores: { groups: ['@group:G1', '@group:G2'] } },
  { spec: S.invalid, what: 'contact.groups unknown', resource: 'contact', row: asContact({ groups: 'Nope' }), error: bad('invalid_reference', 'groups') },
  { spec: S.ambiguous, what: 'contact.groups by a shared name', resource: 'contact', row: asContact({ groups: ['Twin'] }), error: bad('ambiguous_reference', 'groups') },
  // group.location, group.children
  { spec: S.cell, what: 'group.location by code', resource: 'group', row: asGroup('contact', { location: 'L2' }), stores: { location: '@location:L2' } },
  { spec: S.invalid, what: 'group.location unknown', resource: 'group', row: asGroup('contact', { location: 'Atlantis' }), error: bad('invalid_reference', 'location') },
  { spec: S.ambiguous, what: 'group.location shared name', resource: 'group', row: asGroup('location', { location: 'Shared' }), error: bad('ambiguous_reference', 'location') },
  { spec: `${S.children}; ${S.cell}`, what: 'group.children of a contact group, by email (any case) and external_id', resource: 'group', row: asGroup('contact', { children: 'ANN@X.COM, P2' }), stores: { children: ['@contact:P1', '@contact:P2'] } },
  { spec: `${S.children}; ${S.many}`, what: 'group.children of a location group, JSON array of code and name', resource: 'group', row: asGroup('location', { children: ['L1', 'Place L2'] }), stores: { children: ['@location:L1', '@location:L2'] } },
  { spec: `${S.children}; ${S.invalid}`, what: 'group.children of a contact group naming a location', resource: 'group', row: asGroup('contact', { children: 'L1' }), error: bad('invalid_reference', 'children') },
  { spec: `${S.children}; ${S.invalid}`, what: 'group.children of a location group naming a contact', resource: 'group', row: asGroup('location', { children: 'ann@x.com' }), error: bad('invalid_reference', 'children') },
  // asset.item, asset.location
  { spec: S.cell, what: 'asset.item by sku, asset.location by code', resource: 'asset', row: asAsset({ item: 'S1', location: 'L1' }), stores: { item: '@item:I1', location: '@location:L1' } },
  { spec: S.cell, what: 'asset.item by gtin, asset.location by name', resource: 'asset', row: asAsset({ item: 'GT1', location: 'Place L2' }), stores: { item: '@item:I1', location: '@location:L2' } },
  { spec: S.cell, what: 'asset.item by id, asset.location by external_id', resource: 'asset', row: asAsset({ item: '@item:I1', location: 'EXT-L3' }), stores: { item: '@item:I1', location: '@location:EXT-L3' } },
  { spec: S.ambiguous, what: 'asset.item by a sku two items share', resource: 'asset', row: asAsset({ item: 'DUP' }), error: bad('ambiguous_reference', 'item') },
  { spec: S.invalid, what: 'asset.item unknown', resource: 'asset', row: asAsset({ item: 'NOPE' }), error: bad('invalid_reference', 'item') },
  { spec: S.ambiguous, what: 'asset.location shared name', resource: 'asset', row: asAsset({ location: 'Shared' }), error: bad('ambiguous_reference', 'location') },
  { spec: `${S.many}`, what: 'contact.locations comma-separated inside a quoted CSV cell', resource: 'contact', row: { csv: 'external_id,name,locations\nRCSV,Ann,"L1, Place L2"\n' }, stores: { locations: ['@location:L1', '@location:L2'] } },
  { spec: `${S.invalid}; ${S.tenancy}`, what: 'asset.item by the id of another organization\'s item', resource: 'asset', row: asAsset({ item: '@other:item' }), error: bad('invalid_reference', 'item') },
];

describe.each(cases)('$what', (c) => {
  it(`merge → ${c.error ? c.error.code : 'stored as ids'} — ${c.spec}`, async () => {
    const csv = typeof c.row.csv === 'string' ? c.row.csv : null;
    const row = csv ? { external_id: 'RCSV' } : resolveRow(c.row);
    const imp = await k.run(c.resource, 'merge', csv ? `data:text/csv;base64,${Buffer.from(csv).toString('base64')}` : [row]);
    const errors = await k.errors(imp.id);
    if (c.error) {
      expect(errors.map((e) => [e.row, e.code, e.field, e.phase])).toEqual([[1, c.error.code, c.error.field, 'validation']]);
      expect(errors[0]!.data).toEqual(row);
      expect((await k.byExt(c.resource)).has(String(row.external_id))).toBe(false);
      return;
    }
    expect(codes(errors)).toEqual([]);
    expect(imp.stats).toMatchObject({ total: 1, created: 1 });
    const rec = (await k.byExt(c.resource)).get(String(row.external_id));
    for (const [field, want] of Object.entries(c.stores ?? {})) expect(sorted(rec?.[field]), field).toEqual(sorted(resolve(want)));
  });
});

describe('many-references on merge', () => {
  async function contactLocations(t: Kit, ext: string): Promise<unknown> {
    return sorted((await t.byExt('contact')).get(ext)?.locations);
  }
  const L = (...codes: string[]) => codes.map((c) => ids.get(`location:${c}`)).sort();

  it(`a given set replaces the stored one; absent or empty keeps it; null clears — ${S.replace}; ${S.emptyKeeps}`, async () => {
    const t = k;
    await t.merge('contact', [{ external_id: 'M1', name: 'Many', locations: 'L1, L2' }]);
    expect(await contactLocations(t, 'M1')).toEqual(L('L1', 'L2'));
    expect((await t.merge('contact', [{ external_id: 'M1', locations: 'EXT-L3' }])).stats).toMatchObject({ updated: 1 });
    expect(await contactLocations(t, 'M1')).toEqual(L('EXT-L3'));
    expect((await t.merge('contact', [{ external_id: 'M1', name: 'Many 2' }])).stats).toMatchObject({ updated: 1 });
    expect(await contactLocations(t, 'M1')).toEqual(L('EXT-L3'));
    expect((await t.merge('contact', [{ external_id: 'M1', locations: '' }])).stats).toMatchObject({ unchanged: 1 });
    expect(await contactLocations(t, 'M1')).toEqual(L('EXT-L3'));
    expect((await t.merge('contact', [{ external_id: 'M1', locations: null }])).stats).toMatchObject({ updated: 1 });
    expect((await t.byExt('contact')).get('M1')?.locations).toBeNull();
  });

  it(`the same set in another order or by other keys is unchanged, with no event — ${S.unchanged}`, async () => {
    const t = k;
    await t.merge('contact', [{ external_id: 'M2', name: 'Order', locations: 'L1, L2' }]);
    const imp = await t.merge('contact', [{ external_id: 'M2', locations: ['Place L2', '@location:L1'].map(resolve) }]);
    expect(imp.stats).toMatchObject({ unchanged: 1, updated: 0, events: 0 });
    expect(await t.events(imp.id)).toEqual([]);
  });

  it(`group.children of an existing group resolve by its stored type when the row gives none — ${S.children}; ${S.replace}`, async () => {
    const t = k;
    await t.merge('group', [{ external_id: 'MG', name: 'Members', type: 'contact', children: 'P1' }]);
    const imp = await t.merge('group', [{ external_id: 'MG', children: 'bob@x.com' }]);
    expect(imp.stats).toMatchObject({ updated: 1 });
    expect((await t.byExt('group')).get('MG')?.children).toEqual([ids.get('contact:P2')]);
  });
});

describe('delete and references', () => {
  it(`deleting contacts removes them from contact groups' children, with an event for the group — ${S.deleted}`, async () => {
    const t = await freshKit(svc);
    await t.merge('contact', [{ external_id: 'D1', name: 'a' }, { external_id: 'D2', name: 'b' }]);
    await t.merge('group', [{ external_id: 'DG', name: 'Team', type: 'contact', children: 'D1, D2' }]);
    const d2 = (await t.byExt('contact')).get('D2')?.id;
    const imp = await t.run('contact', 'delete', [{ external_id: 'D1' }]);
    expect(imp.stats).toMatchObject({ deleted: 1, events: 2 });
    expect((await t.byExt('group')).get('DG')?.children).toEqual([d2]);
    expect((await t.events(imp.id)).map((e) => `${e.resource}:${e.type}`).sort()).toEqual(['contact:record.deleted', 'group:record.updated']);
  });

  it(`deleting a location removes it from location groups' children; one with assets is still_referenced — ${S.deleted}`, async () => {
    const t = await freshKit(svc);
    await t.merge('location', [place('X1'), place('X2'), place('X3')]);
    await t.merge('item', [{ external_id: 'XI', name: 'Thing' }]);
    await t.merge('asset', [{ external_id: 'XA', item: 'XI', location: 'X3' }]);
    await t.merge('group', [{ external_id: 'XG', name: 'Sites', type: 'location', children: 'X1, X2, X3' }]);
    const imp = await t.run('location', 'delete', [{ code: 'X1' }, { code: 'X3' }]);
    expect(imp.stats).toMatchObject({ deleted: 1, errors: 1 });
    expect((await t.errors(imp.id)).map((e) => [e.row, e.code, e.phase])).toEqual([[2, 'still_referenced', 'validation']]);
    const locs = await t.byExt('location');
    expect(sorted((await t.byExt('group')).get('XG')?.children)).toEqual(sorted([locs.get('X2')?.id, locs.get('X3')?.id]));
  });
});
