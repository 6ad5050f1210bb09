import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stats } from '../../src/domain/import.js';
import { startService, type TestService } from '../support/service.js';
import { codes, freshKit, idOf, seed, zeroStats, type Action, type Mode, type Row } from './kit.js';

// SPEC §4 duplicate handling, for every action × duplicate_handling on contact and item, with
// duplicates found in preparsing (same lookup-key value, compared as stored) and in parsing
// (same resolved record, named by different keys).

const SPEC = {
  preparsing: '§4 "Rows are duplicates when they name the same record: the same lookup-key value (compared as stored: trimmed, emails lower-cased) in `preparsing`"',
  parsing: '§4 "… the same resolved id in `parsing`"',
  ignore_all: '§4 "`ignore_all` (default): every row of such a group is ignored."',
  use_first: '§4 "`use_first`: the row with the lowest row number is kept, the others ignored."',
  names: '§4 "Each ignored row gets an error `duplicate` that names the row it collided with."',
};

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

interface Scenario {
  resource: 'contact' | 'item';
  phase: 'preparsing' | 'parsing';
  how: string;
  /** T is the record rows 1–2 name; K is the record the control row 3 names. */
  initial: Row[];
  /** Rows 1 and 2 (they collide), for merge/overwrite; `ident` strips them to identity for delete. */
  pair: [Row, Row];
  ident: [Row, Row];
  control: Row;
  /** Field values row 1 writes into T when it is kept. */
  firstWrites: Row;
}

const contactInitial = [
  { external_id: 'T', name: 'Ann', email: 'a@x.com' },
  { external_id: 'K', name: 'Kay', email: 'k@x.com' },
];
const itemInitial = [
  { external_id: 'T', name: 'Widget', sku: 'S1', gtin: 'G1' },
  { external_id: 'K', name: 'Keeper', sku: 'SK', gtin: 'GK' },
];

const scenarios: Scenario[] = [
  {
    resource: 'contact', phase: 'preparsing', how: 'emails " A@X.com " and "a@x.com" (trimmed, lower-cased)',
    initial: contactInitial,
    pair: [{ email: ' A@X.com ', name: 'Ann 1' }, { email: 'a@x.com', name: 'Ann 2' }],
    ident: [{ email: ' A@X.com ' }, { email: 'a@x.com' }],
    control: contactInitial[1]!, firstWrites: { name: 'Ann 1', email: 'a@x.com' },
  },
  {
    resource: 'contact', phase: 'parsing', how: 'one row by external_id, one by email',
    initial: contactInitial,
    pair: [{ external_id: 'T', name: 'Ann 1', email: 'a@x.com' }, { email: 'A@x.com', name: 'Ann 2' }],
    ident: [{ external_id: 'T' }, { email: 'A@x.com' }],
    control: contactInitial[1]!, firstWrites: { name: 'Ann 1' },
  },
  {
    resource: 'item', phase: 'preparsing', how: 'skus " S1 " and "S1" (trimmed)',
    initial: itemInitial,
    pair: [{ sku: ' S1 ', name: 'Widget 1' }, { sku: 'S1', name: 'Widget 2' }],
    ident: [{ sku: ' S1 ' }, { sku: 'S1' }],
    control: itemInitial[1]!, firstWrites: { name: 'Widget 1', sku: 'S1' },
  },
  {
    resource: 'item', phase: 'parsing', how: 'one row by external_id, one by gtin',
    initial: itemInitial,
    pair: [{ external_id: 'T', name: 'Widget 1', sku: 'S1', gtin: 'G1' }, { gtin: 'G1', name: 'Widget 2' }],
    ident: [{ external_id: 'T' }, { gtin: 'G1' }],
    control: itemInitial[1]!, firstWrites: { name: 'Widget 1' },
  },
];

const actions: Action[] = ['merge', 'overwrite', 'delete'];
const modes: Mode[] = ['ignore_all', 'use_first'];

function expected(action: Action, mode: Mode): { dupRows: number[]; stats: Stats; tSurvives: boolean; kSurvives: boolean } {
  const kept = mode === 'use_first';
  const dupRows = kept ? [2] : [1, 2];
  const stats = { ...zeroStats, total: 3, duplicates: dupRows.length };
  if (action === 'delete') {
    stats.deleted = kept ? 2 : 1;
    stats.events = stats.deleted;
  } else {
    stats.updated = kept ? 1 : 0;
    stats.unchanged = 1;
    stats.events = stats.updated;
  }
  return { dupRows, stats, tSurvives: !(action === 'delete' && kept), kSurvives: action !== 'delete' };
}

describe.each(scenarios)('$resource duplicates in $phase: $how', (sc) => {
  for (const action of actions) {
    for (const mode of modes) {
      const spec = `${SPEC[sc.phase]}; ${SPEC[mode]}; ${SPEC.names}`;
      it(`${action} × ${mode} — ${spec}`, async () => {
        const k = await freshKit(svc);
        const ids = await seed(k, sc.resource, sc.initial);
        const rows = action === 'delete' ? [...sc.ident, { external_id: 'K' }] : [...sc.pair, sc.control];
        const imp = await k.run(sc.resource, action, rows, { duplicate_handling: mode, allow_mass_delete: true });
        const want = expected(action, mode);
        expect(imp.status).toBe('completed');
        expect(imp.stats).toEqual(want.stats);

        const errors = await k.errors(imp.id);
        expect(codes(errors)).toEqual(want.dupRows.map((r) => [r, 'duplicate']));
        for (const e of errors) {
          expect(e.phase).toBe(sc.phase);
          expect(e.data).toEqual(rows[e.row - 1]); // the row as uploaded
          expect(e.message, 'names the row it collided with').toMatch(new RegExp(`\\brow ${e.row === 1 ? 2 : 1}\\b`, 'i'));
        }

        const after = new Map((await k.records(sc.resource)).map((r) => [r.id, r]));
        const t = after.get(idOf(ids, 'T'));
        expect(Boolean(t), 'T survives').toBe(want.tSurvives);
        expect(after.has(idOf(ids, 'K')), 'K survives').toBe(want.kSurvives);
        if (t && action !== 'delete') {
          const initialT = sc.initial[0]!;
          const expectedName = mode === 'use_first' ? sc.firstWrites.name : initialT.name;
          expect(t.name).toBe(expectedName);
          if (mode === 'use_first') expect(t).toMatchObject(sc.firstWrites);
        }
      });
    }
  }
});

describe('duplicate groups beyond pairs', () => {
  it(`use_first keeps row 1 of a group of three; rows 2 and 3 both name row 1 — ${SPEC.use_first}; ${SPEC.names}`, async () => {
    const k = await freshKit(svc);
    const rows = [
      { external_id: 'N', name: 'First' },
      { external_id: ' N ', name: 'Second' },
      { external_id: 'N', name: 'Third' },
    ];
    const imp = await k.run('item', 'merge', rows, { duplicate_handling: 'use_first' });
    expect(imp.stats).toMatchObject({ total: 3, created: 1, duplicates: 2 });
    const errors = await k.errors(imp.id);
    expect(codes(errors)).toEqual([[2, 'duplicate'], [3, 'duplicate']]);
    for (const e of errors) expect(e.message).toMatch(/\brow 1\b/i);
    expect((await k.byExt('item')).get('N')?.name).toBe('First');
  });

  it(`ignore_all ignores every row naming one new record, so nothing is created — ${SPEC.ignore_all}`, async () => {
    const k = await freshKit(svc);
    const imp = await k.run('contact', 'merge', [
      { email: 'NEW@x.com', name: 'One' },
      { external_id: 'C9', name: 'Other' },
      { email: 'new@X.COM ', name: 'Two' },
    ]);
    expect(imp.stats).toMatchObject({ total: 3, created: 1, duplicates: 2 });
    expect(codes(await k.errors(imp.id))).toEqual([[1, 'duplicate'], [3, 'duplicate']]);
    expect([...(await k.byExt('contact')).keys()]).toEqual(['C9']);
  });

  it(`the same value under different lookup keys is no duplicate — ${SPEC.preparsing}`, async () => {
    const k = await freshKit(svc);
    const imp = await k.run('item', 'merge', [{ external_id: 'X1', name: 'A' }, { sku: 'X1', name: 'B' }, { gtin: 'X1', name: 'C' }]);
    expect(imp.stats).toMatchObject({ total: 3, created: 3, duplicates: 0, errors: 0 });
  });

  it(`a row removed in prevalidation is nobody's duplicate — ${SPEC.preparsing}`, async () => {
    const k = await freshKit(svc);
    const imp = await k.run('item', 'merge', [{ external_id: 'V', name: 'Bad', value: 'twelve' }, { external_id: 'V', name: 'Good' }]);
    expect(imp.stats).toMatchObject({ total: 2, created: 1, errors: 1, duplicates: 0 });
    expect(codes(await k.errors(imp.id))).toEqual([[1, 'invalid_value']]);
  });

  it(`a row removed in preparsing does not collide again in parsing (each row accounted once) — ${SPEC.parsing}`, async () => {
    const k = await freshKit(svc);
    const ids = await seed(k, 'item', itemInitial);
    // rows 1, 2: same sku (preparsing); row 3 names the same record by id (parsing, against row 1 only)
    const imp = await k.run('item', 'merge', [{ sku: 'S1', name: 'a' }, { sku: 'S1', name: 'b' }, { id: idOf(ids, 'T'), name: 'c' }], {
      duplicate_handling: 'use_first',
    });
    expect(imp.stats).toMatchObject({ total: 3, updated: 1, duplicates: 2 });
    const errors = await k.errors(imp.id);
    expect(errors.map((e) => [e.row, e.code, e.phase])).toEqual([[2, 'duplicate', 'preparsing'], [3, 'duplicate', 'parsing']]);
    expect(errors[1]!.message).toMatch(/\brow 1\b/i);
    expect((await k.byExt('item')).get('T')?.name).toBe('a');
  });
});
