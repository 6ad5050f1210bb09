import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { codes, freshKit, place, type Kit, type ResourceName, type Row } from './kit.js';

// SPEC §2 required-to-create fields and generated serial numbers, §3 merge semantics (empty
// keeps, null clears, unchanged is not written), and §2 value coercion.

const S = {
  required: '§6 validation "rows that would create a record without its required fields (`missing_required_field`)"',
  serial: '§2 "a missing `serial_number` is generated on create"',
  nonEmpty: '§3 merge "A matched record gets the row\'s non-empty values; absent or empty cells leave stored values unchanged"',
  nullClears: '§3 merge "(JSON `null` clears)"',
  unchanged: '§3 merge "A matched record whose values would not change is `unchanged` and not written."',
  event: '§7 "Every record change writes one event (`record.created|updated|deleted`, with the record id, the import id, and the values before and after)"',
  coerce: '§2 "Values are coerced the way spreadsheets write them (`" 42 "` → 42, … ISO dates)"',
  emails: '§2 "emails are compared case-insensitively"',
  fields: '§2 field list (country ISO 3166-1 alpha-2, value integer cents ≥ 0, currency ISO 4217, metadata JSON object, asset status enum)',
};

let svc: TestService;
let k: Kit;
beforeAll(async () => {
  svc = await startService();
  k = await freshKit(svc);
  await k.merge('location', [place('L1')]);
  await k.merge('item', [{ external_id: 'I1', name: 'Widget' }]);
});
afterAll(async () => svc?.close());

let n = 0;
const ext = (prefix: string) => `${prefix}${++n}`;

interface RequiredCase {
  resource: ResourceName;
  row: () => Row;
  field: string;
}

const requiredCases: RequiredCase[] = [
  { resource: 'asset', row: () => ({ external_id: ext('A'), location: 'L1' }), field: 'item' },
  { resource: 'asset', row: () => ({ external_id: ext('A'), item: 'I1' }), field: 'location' },
  { resource: 'location', row: () => ({ ...place(ext('L')), city: undefined }), field: 'city' },
  { resource: 'location', row: () => ({ ...place(ext('L')), country: '' }), field: 'country' },
  { resource: 'contact', row: () => ({ external_id: ext('C'), email: 'x@y.com' }), field: 'name' },
  { resource: 'item', row: () => ({ external_id: ext('I'), sku: 'S' }), field: 'name' },
  { resource: 'group', row: () => ({ external_id: ext('G'), name: 'No type' }), field: 'type' },
];

describe.each(requiredCases)('$resource created without $field', (c) => {
  it(`merge → missing_required_field (${c.field}) — ${S.required}`, async () => {
    const row = JSON.parse(JSON.stringify(c.row())) as Row; // drops undefined, as JSON would
    const imp = await k.merge(c.resource, [row]);
    const errors = await k.errors(imp.id);
    expect(errors.map((e) => [e.row, e.code, e.field, e.phase])).toEqual([[1, 'missing_required_field', c.field, 'validation']]);
    expect(imp.stats).toMatchObject({ total: 1, created: 0, errors: 1 });
  });
});

describe('required fields on existing records', () => {
  it(`a merge that names an existing record needs no create-required field — ${S.nonEmpty}`, async () => {
    await k.merge('asset', [{ external_id: 'AR', item: 'I1', location: 'L1' }]);
    const imp = await k.merge('asset', [{ external_id: 'AR', notes: 'only notes' }]);
    expect(imp.stats).toMatchObject({ updated: 1, errors: 0 });
  });

  it(`JSON null on a required field of an existing record is refused — ${S.required}; ${S.nullClears}`, async () => {
    await k.merge('contact', [{ external_id: 'CR', name: 'Keep me' }]);
    const imp = await k.merge('contact', [{ external_id: 'CR', name: null }]);
    expect(codes(await k.errors(imp.id))).toEqual([[1, 'missing_required_field']]);
    expect((await k.byExt('contact')).get('CR')?.name).toBe('Keep me');
  });
});

describe('generated serial_number', () => {
  it(`assets created without a serial_number get distinct generated ones; a given one is kept — ${S.serial}`, async () => {
    const imp = await k.merge('asset', [
      { external_id: 'SA1', item: 'I1', location: 'L1' },
      { barcode: 'SB2', item: 'I1', location: 'L1' },
      { external_id: 'SA3', item: 'I1', location: 'L1', serial_number: ' MY-SN ' },
    ]);
    expect(imp.stats).toMatchObject({ created: 3, errors: 0 });
    const assets = await k.records('asset');
    const a1 = assets.find((a) => a.external_id === 'SA1');
    const a2 = assets.find((a) => a.barcode === 'SB2');
    expect(typeof a1?.serial_number === 'string' && a1.serial_number.length > 0).toBe(true);
    expect(typeof a2?.serial_number === 'string' && a2.serial_number.length > 0).toBe(true);
    expect(a1?.serial_number).not.toBe(a2?.serial_number);
    expect(assets.find((a) => a.external_id === 'SA3')?.serial_number).toBe('MY-SN');
    const again = await k.merge('asset', [{ external_id: 'SA1', notes: 'x' }]);
    expect(again.stats).toMatchObject({ updated: 1 });
    expect((await k.byExt('asset')).get('SA1')?.serial_number).toBe(a1?.serial_number);
  });

  // BUG: a JSON null serial_number on create is rejected as missing_required_field ("Creating a
  // asset needs serial_number … Required to create: item, location."), although serial_number is
  // not required to create (SPEC §2 table: item, location) and a missing one is generated.
  it(`an asset created with serial_number: null is created, not rejected as missing_required_field — ${S.serial}; ${S.required}`, async () => {
    const imp = await k.merge('asset', [{ external_id: 'SN-NULL', item: 'I1', location: 'L1', serial_number: null }]);
    expect(codes(await k.errors(imp.id))).toEqual([]);
    expect(imp.stats).toMatchObject({ created: 1, errors: 0 });
  });
});

describe('merge: empty keeps, null clears, unchanged is not written', () => {
  const full = { external_id: 'MS', name: 'Widget', vendor: 'Acme', value: 100, currency: 'EUR', weight: 2.5 };

  it(`empty and absent cells keep stored values — ${S.nonEmpty}; ${S.unchanged}`, async () => {
    await k.merge('item', [full]);
    const before = (await k.byExt('item')).get('MS');
    const imp = await k.merge('item', [{ external_id: 'MS', name: '', vendor: '   ', value: '' }]);
    expect(imp.stats).toMatchObject({ unchanged: 1, updated: 0, events: 0 });
    expect(await k.events(imp.id)).toEqual([]);
    expect((await k.byExt('item')).get('MS')).toEqual(before); // updated_at untouched too
  });

  it(`JSON null clears a stored value, with one record.updated event carrying before and after — ${S.nullClears}; ${S.event}`, async () => {
    const imp = await k.merge('item', [{ external_id: 'MS', vendor: null, weight: null }]);
    expect(imp.stats).toMatchObject({ updated: 1, events: 1 });
    const rec = (await k.byExt('item')).get('MS');
    expect(rec).toMatchObject({ name: 'Widget', vendor: null, weight: null, value: 100, currency: 'EUR' });
    const events = await k.events(imp.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'record.updated', resource: 'item', record_id: rec?.id });
    expect(events[0]?.before).toMatchObject({ vendor: 'Acme', weight: 2.5 });
    expect(events[0]?.after).toMatchObject({ vendor: null, weight: null });
  });

  it(`values equal after coercion are unchanged: nothing written, no event — ${S.unchanged}; ${S.coerce}`, async () => {
    const before = (await k.byExt('item')).get('MS');
    const imp = await k.merge('item', [{ external_id: ' MS ', name: ' Widget ', value: ' 100 ', currency: 'eur' }]);
    expect(imp.stats).toMatchObject({ unchanged: 1, updated: 0, events: 0 });
    expect((await k.byExt('item')).get('MS')).toEqual(before);
  });

  it(`a changed value updates the record once, with its event — ${S.nonEmpty}; ${S.event}`, async () => {
    const imp = await k.merge('item', [{ external_id: 'MS', value: 250 }]);
    expect(imp.stats).toMatchObject({ updated: 1, events: 1 });
    const [ev] = await k.events(imp.id);
    expect(ev?.before?.value).toBe(100);
    expect(ev?.after?.value).toBe(250);
  });
});

interface CoerceCase {
  resource: ResourceName;
  field: string;
  given: unknown;
  /** The stored value, or 'invalid_value'. */
  stored: unknown;
  base: () => Row;
}

const itemBase = () => ({ external_id: ext('CI'), name: 'Coerced' });
const locBase = () => place(ext('CL'));
const contactBase = () => ({ external_id: ext('CC'), name: 'Coerced' });
const assetBase = () => ({ external_id: ext('CA'), item: 'I1', location: 'L1' });
const invalid = 'invalid_value';

const coerceCases: CoerceCase[] = [
  { resource: 'item', field: 'value', given: ' 42 ', stored: 42, base: itemBase },
  { resource: 'item', field: 'value', given: '1 234', stored: 1234, base: itemBase },
  { resource: 'item', field: 'value', given: 12.5, stored: invalid, base: itemBase },
  { resource: 'item', field: 'value', given: '-1', stored: invalid, base: itemBase },
  { resource: 'item', field: 'value', given: 'twelve', stored: invalid, base: itemBase },
  { resource: 'item', field: 'weight', given: ' 1.5 ', stored: 1.5, base: itemBase },
  { resource: 'item', field: 'currency', given: 'eur', stored: 'EUR', base: itemBase },
  { resource: 'item', field: 'currency', given: 'EURO', stored: invalid, base: itemBase },
  { resource: 'location', field: 'country', given: 'de', stored: 'DE', base: locBase },
  { resource: 'location', field: 'country', given: ' fr ', stored: 'FR', base: locBase },
  { resource: 'location', field: 'country', given: 'Germany', stored: invalid, base: locBase },
  { resource: 'location', field: 'timezone', given: 'Europe/Berlin', stored: 'Europe/Berlin', base: locBase },
  { resource: 'contact', field: 'email', given: ' Ann.Lee@Example.COM ', stored: 'ann.lee@example.com', base: contactBase },
  { resource: 'contact', field: 'email', given: 'not-an-email', stored: invalid, base: contactBase },
  { resource: 'contact', field: 'metadata', given: '{"tier": "gold", "n": 2}', stored: { tier: 'gold', n: 2 }, base: contactBase },
  { resource: 'contact', field: 'metadata', given: { nested: { a: [1, 2] } }, stored: { nested: { a: [1, 2] } }, base: contactBase },
  { resource: 'contact', field: 'metadata', given: '[1, 2]', stored: invalid, base: contactBase },
  { resource: 'contact', field: 'metadata', given: '{oops', stored: invalid, base: contactBase },
  { resource: 'asset', field: 'purchased_at', given: '2024-03-31', stored: '2024-03-31', base: assetBase },
  { resource: 'asset', field: 'purchased_at', given: ' 2024-03-31T10:00:00Z ', stored: '2024-03-31', base: assetBase },
  { resource: 'asset', field: 'warranty_expires_at', given: '2024-02-30', stored: invalid, base: assetBase },
  { resource: 'asset', field: 'purchased_at', given: '31/03/2024', stored: invalid, base: assetBase },
  { resource: 'asset', field: 'status', given: 'IN_USE', stored: 'in_use', base: assetBase },
  { resource: 'asset', field: 'status', given: 'broken', stored: invalid, base: assetBase },
];

describe('lookup values are compared as stored', () => {
  it(`external_id 42 (a JSON number) and " 42 " name the same record — ${S.coerce}`, async () => {
    await k.merge('item', [{ external_id: 42, name: 'Numbered' }]);
    const imp = await k.merge('item', [{ external_id: ' 42 ', name: 'Numbered' }]);
    expect(imp.stats).toMatchObject({ created: 0, unchanged: 1 });
    expect((await k.byExt('item')).get('42')?.name).toBe('Numbered');
  });
});

describe.each(coerceCases)('$resource.$field = $given', (c) => {
  it(`${c.stored === invalid ? 'invalid_value' : `stored as ${JSON.stringify(c.stored)}`} — ${c.stored === invalid ? S.fields : S.coerce}`, async () => {
    const row = { ...c.base(), [c.field]: c.given };
    const imp = await k.merge(c.resource, [row]);
    const errors = await k.errors(imp.id);
    if (c.stored === invalid) {
      expect(errors.map((e) => [e.row, e.code, e.field, e.phase])).toEqual([[1, 'invalid_value', c.field, 'prevalidation']]);
      expect(errors[0]?.message).toContain(c.field);
      return;
    }
    expect(codes(errors)).toEqual([]);
    expect((await k.byExt(c.resource)).get(String(row.external_id))?.[c.field]).toEqual(c.stored);
  });
});
