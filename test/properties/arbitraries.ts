import fc from 'fast-check';
import type { Action, Mode, Row } from '../rules/kit.js';

// Generated imports of `item` and `contact` rows. Values come from SMALL pools so that
// duplicates (same key, spacing or case variants), collisions with existing records, shared
// lookup values (ambiguity) and disagreeing keys happen often; some values are invalid, some
// rows have no identity, and JSON nulls and empty strings are frequent.
//
// A string `@X` in an `id` cell stands for the id of the seeded record with external_id X (or a
// well-formed id that matches nothing when X was not seeded); `@@X` for the id of the record X
// of *another* organization. harness.ts resolves them per service.

export type Resource = 'item' | 'contact';

export interface Scenario {
  resource: Resource;
  action: Action;
  mode: Mode;
  /** Merged first, in the organization under test: the initial state. */
  initial: Row[];
  /** external_ids of initial items that get an asset (so they are still referenced). */
  assetItems: string[];
  /** The file under test. */
  file: Row[];
}

/** `arb` with probability `p` percent, else the key is absent. */
function maybe<T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - p }, { arbitrary: arb, weight: p });
}
export const one = <T>(...values: T[]) => fc.constantFrom(...values);
/** A cell drawn from `values`, or blank, or JSON null. */
const cell = (...values: unknown[]) => fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 6 }, { arbitrary: one('', '  '), weight: 1 }, { arbitrary: fc.constant(null), weight: 1 });

/** Drops absent keys, as JSON would. */
function compact(r: Record<string, unknown>): Row {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

export const ITEM_EXTS = ['E1', 'E2', 'E3', 'E4'] as const;
/**
 * Every organization also holds the locations L1, L2 and two named "Shared" (harness.ts), so
 * contact.locations cells resolve, fail (`invalid_reference`) or are ambiguous.
 */
export const LOCATION_REFS = ['L1', 'L1, L2', ' Place L2 ', ['L2', 'L1'], 'Shared', 'NOPE', 'L1, NOPE'];
export const CONTACT_EXTS = ['C1', 'C2', 'C3', 'C4'] as const;

const idToken = (exts: readonly string[], foreign: boolean) => one(...exts.map((e) => `@${e}`), ...(foreign ? exts.map((e) => `@@${e}`) : []));

function itemRow(foreign: boolean): fc.Arbitrary<Row> {
  return fc
    .record({
      id: maybe(idToken(ITEM_EXTS, foreign), 10),
      external_id: maybe(cell('E1', 'E2', 'E3', 'E4', 'E5', 'E6', ' E1 ', 'E2 '), 70),
      sku: maybe(cell('S1', 'S2', 'S3', ' S1 '), 55),
      gtin: maybe(cell('G1', 'G2'), 25),
      name: maybe(cell('Alpha', 'Beta', ' Alpha '), 70),
      vendor: maybe(cell('Acme', 'Globex'), 30),
      value: maybe(cell(0, 100, ' 42 ', '100', 'twelve', -1, 2.5), 30),
      currency: maybe(cell('EUR', 'usd', 'XXX'), 15),
    })
    .map(compact);
}

function contactRow(foreign: boolean): fc.Arbitrary<Row> {
  return fc
    .record({
      id: maybe(idToken(CONTACT_EXTS, foreign), 10),
      external_id: maybe(cell('C1', 'C2', 'C3', 'C4', 'C5', 'C6', ' C1 '), 65),
      email: maybe(cell('a@x.com', ' A@X.com ', 'b@x.com', 'B@x.COM', 'c@x.com', 'new@x.com', 'not-an-email'), 60),
      name: maybe(cell('Ann', 'Bob', ' Ann '), 70),
      phone: maybe(cell('123', '456'), 25),
      metadata: maybe(cell('{"k":1}', { k: 2 }, '[1]'), 15),
      notes: maybe(cell('note'), 15),
      locations: maybe(cell(...LOCATION_REFS), 35),
    })
    .map(compact);
}

function itemSeed(): fc.Arbitrary<Row[]> {
  return fc.subarray([...ITEM_EXTS]).chain((exts) =>
    fc.tuple(...exts.map((e) => fc.record({ sku: maybe(one('S1', 'S2', 'S3'), 70), gtin: maybe(one('G1', 'G2'), 40), vendor: maybe(one('Acme'), 50) }).map((r) => compact({ external_id: e, name: `Init ${e}`, ...r })))),
  );
}

function contactSeed(): fc.Arbitrary<Row[]> {
  return fc.subarray([...CONTACT_EXTS]).chain((exts) =>
    fc.tuple(...exts.map((e) => fc.record({ email: maybe(one('a@x.com', 'b@x.com', 'c@x.com'), 70), phone: maybe(one('999'), 50), locations: maybe(one('L1', 'L2', 'L1, L2'), 40) }).map((r) => compact({ external_id: e, name: `Init ${e}`, ...r })))),
  );
}

export const seedOf = (resource: Resource) => (resource === 'item' ? itemSeed() : contactSeed());
export const rowOf = (resource: Resource, foreign = false) => (resource === 'item' ? itemRow(foreign) : contactRow(foreign));

export function scenario(o: { actions?: Action[]; foreign?: boolean; maxRows?: number } = {}): fc.Arbitrary<Scenario> {
  return one<Resource>('item', 'contact').chain((resource) =>
    fc.record({
      resource: fc.constant(resource),
      action: one<Action>(...(o.actions ?? ['merge', 'overwrite', 'delete'])),
      mode: one<Mode>('ignore_all', 'use_first'),
      initial: seedOf(resource),
      assetItems: resource === 'item' ? fc.subarray([...ITEM_EXTS]) : fc.constant([]),
      // mostly short files (collisions stay readable), sometimes long ones (up to maxRows)
      file: fc.oneof(
        { arbitrary: fc.array(rowOf(resource, o.foreign ?? false), { maxLength: Math.min(12, o.maxRows ?? 60) }), weight: 3 },
        { arbitrary: fc.array(rowOf(resource, o.foreign ?? false), { maxLength: o.maxRows ?? 60, size: 'max' }), weight: 1 },
      ),
    }),
  );
}

/**
 * A file that a merge must accept whole: distinct external_ids (after trimming) naming each row,
 * names given, valid values; other lookup values derived from the external_id, so keys never
 * disagree and never collide across rows.
 */
export function validMergeFile(resource: Resource): fc.Arbitrary<Row[]> {
  const exts = resource === 'item' ? ['E1', 'E2', 'E3', 'E4', 'E5', 'E6'] : ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'];
  const spaced = (e: string) => one(e, ` ${e} `, `${e} `);
  const row = (e: string) =>
    resource === 'item'
      ? fc.record({
          external_id: spaced(e),
          name: one('Alpha', ' Beta '),
          sku: maybe(one(`S-${e}`, ` S-${e} `, null), 50),
          vendor: maybe(one('Acme', '', null), 50),
          value: maybe(one<unknown>(0, ' 42 ', '1 000', null, ''), 50),
          currency: maybe(one('eur', 'USD', null), 30),
        })
      : fc.record({
          external_id: spaced(e),
          name: one('Ann', ' Bob '),
          email: maybe(one(`${e}@x.com`, ` ${e.toUpperCase()}@X.COM `, null), 50),
          metadata: maybe(one<unknown>('{"k":1}', { k: [1, 2] }, null), 30),
          phone: maybe(one('123', '', null), 40),
        });
  return fc.shuffledSubarray(exts).chain((chosen) => fc.tuple(...chosen.map((e) => row(e).map(compact))));
}

/** Initial records compatible with validMergeFile (lookup values derived from the external_id). */
export function validSeed(resource: Resource): fc.Arbitrary<Row[]> {
  const exts = resource === 'item' ? ['E1', 'E2', 'E3', 'E4'] : ['C1', 'C2', 'C3', 'C4'];
  return fc.subarray(exts).map((chosen) =>
    chosen.map((e) => (resource === 'item' ? { external_id: e, name: 'Alpha', sku: `S-${e}`, vendor: 'Init' } : { external_id: e, name: 'Ann', email: `${e.toLowerCase()}@x.com` })),
  );
}
