import type { Action, ErrorCode, Mode, RecordView, Row } from '../rules/kit.js';
import type { Resource } from './arbitraries.js';
import { LOOKUP_KEYS, namingValue } from './harness.js';

// A reference model of what happens to each row after prevalidation, written from the SPEC
// alone: §4 duplicates (preparsing by naming value, parsing by resolved record), §6
// transforming (missing_identity, not_found, ambiguous_identity), §6 validation
// (missing_required_field, invalid/ambiguous_reference, still_referenced). Prevalidation
// (value coercion) is not modelled: which rows it removed is taken from the product.

export type Fate =
  | { kind: 'error'; code: ErrorCode; phase: string; collidesWith?: number[] }
  | { kind: 'created' | 'matched' | 'deleted' };

export interface OracleInput {
  resource: Resource;
  action: Action;
  mode: Mode;
  file: Row[];
  /** The resource's records before the import. */
  before: RecordView[];
  /** Rows the product removed in prevalidation. */
  invalidRows: ReadonlySet<number>;
  /** Ids of records another record still requires (items with assets). */
  required: ReadonlySet<string>;
  /** The organization's locations (contact.locations targets). */
  locations: RecordView[];
}

interface Live {
  n: number;
  row: Row;
  record?: string;
  isNew?: boolean;
}

const given = (v: unknown) => v !== undefined && !(typeof v === 'string' && v.trim() === '');

function normalised(key: string, v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = key === 'email' ? String(v).trim().toLowerCase() : String(v).trim();
  return s === '' ? null : s;
}

export function expectedFates(o: OracleInput): Map<number, Fate> {
  const fates = new Map<number, Fate>();
  let live: Live[] = o.file.map((row, i) => ({ n: i + 1, row })).filter((r) => !o.invalidRows.has(r.n));
  const fail = (r: Live, code: ErrorCode, phase: string, collidesWith?: number[]) => fates.set(r.n, { kind: 'error', code, phase, collidesWith });

  /** §4: ignore_all removes every row of a group, use_first all but the lowest row number. */
  const dedupe = (phase: string, groupOf: (r: Live) => string | null) => {
    const groups = new Map<string, Live[]>();
    for (const r of live) {
      const g = groupOf(r);
      if (g !== null) groups.set(g, [...(groups.get(g) ?? []), r]);
    }
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const rows = members.map((m) => m.n);
      for (const m of o.mode === 'ignore_all' ? members : members.slice(1)) fail(m, 'duplicate', phase, rows.filter((x) => x !== m.n));
    }
    live = live.filter((r) => !fates.has(r.n));
  };

  // preparsing: the same naming value
  dedupe('preparsing', (r) => {
    const nv = namingValue(o.resource, r.row);
    return nv ? `${nv.key}:${nv.value}` : null;
  });

  // transforming: resolve against the records before the import
  const matches = (key: string, value: string) => o.before.filter((rec) => (key === 'id' ? rec.id : rec[key]) === value).map((rec) => rec.id);
  for (const r of live) {
    const nv = namingValue(o.resource, r.row);
    if (!nv) {
      fail(r, 'missing_identity', 'transforming');
      continue;
    }
    const named = matches(nv.key, nv.value);
    const unique = new Set(
      ['id', ...LOOKUP_KEYS[o.resource]].flatMap((key) => {
        const v = normalised(key, r.row[key]);
        const m = v === null ? [] : matches(key, v);
        return m.length === 1 ? m : [];
      }),
    );
    if (nv.key === 'id' && named.length === 0) fail(r, 'not_found', 'transforming');
    else if (named.length > 1 || unique.size > 1) fail(r, 'ambiguous_identity', 'transforming');
    else if (named.length === 0 && o.action === 'delete') fail(r, 'not_found', 'transforming');
    else Object.assign(r, { record: named[0] ?? `new:${r.n}`, isNew: named.length === 0 });
  }
  live = live.filter((r) => !fates.has(r.n));

  // parsing: the same resolved record; then (not for delete) the same external_id given to two records
  dedupe('parsing', (r) => r.record ?? null);
  if (o.action !== 'delete') dedupe('parsing', (r) => normalised('external_id', r.row.external_id));

  // validation
  for (const r of live) {
    if (o.action === 'delete') {
      if (o.required.has(r.record!)) fail(r, 'still_referenced', 'validation');
      continue;
    }
    const name = r.row.name;
    if (((r.isNew || o.action === 'overwrite') && !given(name)) || name === null) {
      fail(r, 'missing_required_field', 'validation');
      continue;
    }
    const bad = o.resource === 'contact' ? badReference(r.row.locations, o.locations) : null;
    if (bad) fail(r, bad, 'validation');
  }
  live = live.filter((r) => !fates.has(r.n));

  for (const r of live) fates.set(r.n, { kind: o.action === 'delete' ? 'deleted' : r.isNew ? 'created' : 'matched' });
  return fates;
}

/** §2: each value is an id or a value of one of the target's lookup keys; the first bad one decides. */
function badReference(cell: unknown, locations: RecordView[]): 'invalid_reference' | 'ambiguous_reference' | null {
  if (cell === null || cell === undefined) return null;
  const values = (typeof cell === 'string' ? cell.split(',') : (cell as unknown[]).map(String)).map((s) => s.trim()).filter((s) => s !== '');
  for (const v of values) {
    const n = locations.filter((l) => l.id === v || l.external_id === v || l.code === v || l.name === v).length;
    if (n === 0) return 'invalid_reference';
    if (n > 1) return 'ambiguous_reference';
  }
  return null;
}
