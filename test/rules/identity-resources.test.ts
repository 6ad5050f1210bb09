import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { codes, freshKit, idOf, place, type ErrorCode, type Kit, type ResourceName, type Row } from './kit.js';

// SPEC §3 / §6 identity rules on location, group and asset (contact and item: identity.test.ts):
// `id` first, then each resource's lookup keys in declared order (location: external_id, code,
// name; group: external_id, name; asset: external_id, serial_number, barcode).

const S = {
  names: '§3 "A row names its record by `id` if present, else by the first lookup key it has a value for."',
  keys: '§2 table: lookup keys, "tried in order"',
  missing: '§6 transforming "`missing_identity` (no id, no key)"',
  notFound: '§6 transforming "`not_found` (unknown `id`; any unmatched row for `delete`)"',
  many: '§6 transforming "`ambiguous_identity` (a key matches several records …)"',
  disagree: '§6 transforming "`ambiguous_identity` (… or keys disagree)"',
  creates: '§3 merge "An unmatched row creates a record (needs the create-required fields)"',
};

let svc: TestService;
let k: Kit;
const ids = new Map<string, string>();

beforeAll(async () => {
  svc = await startService();
  k = await freshKit(svc);
  const seeds: [ResourceName, Row[]][] = [
    ['location', [
      place('L1'), place('L2'), place('LS1', { name: 'Shared' }), place('LS2', { name: 'Shared' }),
      place('LN', { external_id: null, code: null, name: 'Nameonly' }), place('LID'),
    ]],
    ['group', [
      { external_id: 'G1', name: 'Team', type: 'contact' }, { external_id: 'G2', name: 'Sites', type: 'location' },
      { external_id: 'GT1', name: 'Twin', type: 'contact' }, { external_id: 'GT2', name: 'Twin', type: 'contact' },
      { external_id: 'GID', name: 'By id', type: 'contact' },
    ]],
    ['item', [{ external_id: 'I1', name: 'Widget' }]],
    ['asset', [
      { external_id: 'A1', item: 'I1', location: 'L1', serial_number: 'SN1', barcode: 'B1' },
      { external_id: 'A2', item: 'I1', location: 'L1', serial_number: 'SN2', barcode: 'B2' },
      { external_id: 'AB1', item: 'I1', location: 'L1', barcode: 'BSHARED' },
      { external_id: 'AB2', item: 'I1', location: 'L1', barcode: 'BSHARED' },
      { external_id: 'AID', item: 'I1', location: 'L1', serial_number: 'SNID' },
    ]],
  ];
  for (const [resource, rows] of seeds) {
    const imp = await k.merge(resource, rows);
    expect(imp.stats).toMatchObject({ created: rows.length, errors: 0 });
    for (const r of await k.records(resource)) ids.set(`${resource}:${r.external_id ?? r.name}`, r.id);
  }
});
afterAll(async () => svc?.close());

interface Case {
  spec: string;
  what: string;
  resource: ResourceName;
  row: Row;
  outcome: ErrorCode | 'created' | 'updated';
  /** The seeded record (`resource:external_id`) an `updated` row must have changed. */
  names?: string;
  /** The field whose value proves which record was updated. */
  probe?: string;
}

const cases: Case[] = [
  { spec: S.names, what: 'by external_id', resource: 'location', row: { external_id: 'L1', city: 'Berlin' }, outcome: 'updated', names: 'location:L1', probe: 'city' },
  { spec: `${S.names}; ${S.keys}`, what: 'no external_id: by code', resource: 'location', row: { code: 'L2', city: 'Hamburg' }, outcome: 'updated', names: 'location:L2', probe: 'city' },
  { spec: `${S.names}; ${S.keys}`, what: 'no external_id or code: by name', resource: 'location', row: { name: 'Nameonly', city: 'Köln' }, outcome: 'updated', names: 'location:Nameonly', probe: 'city' },
  { spec: S.names, what: 'id first', resource: 'location', row: { id: '@location:LID', code: 'LID', city: 'Paris' }, outcome: 'updated', names: 'location:LID', probe: 'city' },
  { spec: S.missing, what: 'no key at all', resource: 'location', row: { city: 'Nowhere', country: 'US' }, outcome: 'missing_identity' },
  { spec: S.notFound, what: 'unknown id', resource: 'location', row: { id: 'loc_nothing1', city: 'X' }, outcome: 'not_found' },
  { spec: S.many, what: 'name shared by two locations', resource: 'location', row: { name: 'Shared', city: 'X' }, outcome: 'ambiguous_identity' },
  { spec: S.disagree, what: 'code names L1, name names L2', resource: 'location', row: { code: 'L1', name: 'Place L2' }, outcome: 'ambiguous_identity' },
  { spec: S.creates, what: 'unmatched code creates, with the required fields', resource: 'location', row: { code: 'NEW', name: 'New place', address_line1: 'a', city: 'b', country: 'FR' }, outcome: 'created' },

  { spec: S.names, what: 'by external_id', resource: 'group', row: { external_id: 'G1', description: 'd1' }, outcome: 'updated', names: 'group:G1', probe: 'description' },
  { spec: `${S.names}; ${S.keys}`, what: 'no external_id: by name', resource: 'group', row: { name: 'Sites', description: 'd2' }, outcome: 'updated', names: 'group:G2', probe: 'description' },
  { spec: S.names, what: 'id first', resource: 'group', row: { id: '@group:GID', description: 'd3' }, outcome: 'updated', names: 'group:GID', probe: 'description' },
  { spec: S.missing, what: 'no key at all', resource: 'group', row: { type: 'contact', description: 'x' }, outcome: 'missing_identity' },
  { spec: S.many, what: 'name shared by two groups', resource: 'group', row: { name: 'Twin', description: 'x' }, outcome: 'ambiguous_identity' },
  { spec: S.disagree, what: 'external_id names G1, name names G2', resource: 'group', row: { external_id: 'G1', name: 'Sites' }, outcome: 'ambiguous_identity' },

  { spec: S.names, what: 'by external_id', resource: 'asset', row: { external_id: 'A1', notes: 'n1' }, outcome: 'updated', names: 'asset:A1', probe: 'notes' },
  { spec: `${S.names}; ${S.keys}`, what: 'no external_id: by serial_number', resource: 'asset', row: { serial_number: 'SN2', notes: 'n2' }, outcome: 'updated', names: 'asset:A2', probe: 'notes' },
  { spec: `${S.names}; ${S.keys}`, what: 'no external_id or serial: by barcode', resource: 'asset', row: { barcode: 'B1', category: 'c1' }, outcome: 'updated', names: 'asset:A1', probe: 'category' },
  { spec: S.names, what: 'id first', resource: 'asset', row: { id: '@asset:AID', notes: 'n3' }, outcome: 'updated', names: 'asset:AID', probe: 'notes' },
  { spec: S.missing, what: 'no key at all (serial_number is generated only once a row names a new record)', resource: 'asset', row: { item: 'I1', location: 'L1' }, outcome: 'missing_identity' },
  { spec: S.many, what: 'barcode shared by two assets', resource: 'asset', row: { barcode: 'BSHARED', notes: 'x' }, outcome: 'ambiguous_identity' },
  { spec: S.disagree, what: 'serial names A1, barcode names A2', resource: 'asset', row: { serial_number: 'SN1', barcode: 'B2' }, outcome: 'ambiguous_identity' },
  { spec: S.creates, what: 'unmatched barcode creates', resource: 'asset', row: { barcode: 'BNEW', item: 'I1', location: 'L2' }, outcome: 'created' },
];

const resolveRow = (row: Row): Row =>
  Object.fromEntries(Object.entries(row).map(([f, v]) => [f, typeof v === 'string' && v.startsWith('@') ? idOf(ids, v.slice(1)) : v]));

describe.each(cases)('$resource $what', (c) => {
  it(`merge → ${c.outcome} — ${c.spec}`, async () => {
    const row = resolveRow(c.row);
    const imp = await k.merge(c.resource, [row]);
    const errors = await k.errors(imp.id);
    if (c.outcome === 'created' || c.outcome === 'updated') {
      expect(codes(errors)).toEqual([]);
      expect(imp.stats).toMatchObject({ total: 1, [c.outcome]: 1 });
      if (c.names && c.probe) {
        const rec = (await k.records(c.resource)).find((r) => r.id === idOf(ids, c.names!));
        expect(rec?.[c.probe]).toBe(row[c.probe]);
      }
    } else {
      expect(errors.map((e) => [e.row, e.code, e.phase])).toEqual([[1, c.outcome, 'transforming']]);
    }
  });
});

describe('delete on location, group and asset', () => {
  it(`names the record by its first key with a value; unmatched rows are not_found — ${S.names}; ${S.notFound}`, async () => {
    const t = await freshKit(svc);
    await t.merge('location', [place('D1'), place('D2'), place('D3')]);
    await t.merge('group', [{ external_id: 'DG', name: 'Del group', type: 'location' }]);
    const loc = await t.run('location', 'delete', [{ code: 'D1' }, { name: 'Place D2' }, { external_id: 'nope', code: 'D3' }]);
    expect(loc.stats).toMatchObject({ total: 3, deleted: 2, errors: 1 });
    expect(codes(await t.errors(loc.id))).toEqual([[3, 'not_found']]);
    expect([...(await t.byExt('location')).keys()]).toEqual(['D3']);
    const grp = await t.run('group', 'delete', [{ name: 'Del group' }]);
    expect(grp.stats).toMatchObject({ deleted: 1 });
  });
});
