import type { z } from 'zod';
import type { Queryable } from '../db/db.js';
import { PARSE_ERROR_KEY } from '../files/index.js';
import { setOwn } from '../files/header-row.js';
import { unstorableText } from '../resources/fields.js';
import type { ColumnMapper } from '../resources/column-mapping.js';
import { ID_FIELD, rowSchema, type ResourceDefinition } from '../resources/resource.js';
import { recordFileFacts, refreshStats } from '../lifecycle/import-facts.js';
import { completePhase } from '../lifecycle/phase-progress.js';
import { copyRowErrors, copyStagedRows, rowErrorsCopyText, stagedRowsCopyText, type RowError, type StagedRow } from '../staging/working-rows.js';

// Phase 1, prevalidation: each input row is mapped to fields, coerced and validated against the
// resource's Zod schema, and COPYed into import_rows with its row number. Invalid rows are
// staged too (their identity still counts for overwrite) and get their error in the same batch.
// A batch is prepared (validated and encoded as COPY text) apart from staging it, so that the
// worker prepares the next batch while Postgres is still taking in the last one.

export interface SourceRow {
  row: number;
  line?: number;
  values: Record<string, unknown>;
}

/**
 * A batch validated and encoded, ready to be COPYed. The COPY data is kept as bytes: a batch
 * waits while the one before it is staged, and as a string (a rope of a piece per field) it
 * would outlive the young generation and pile up in the old one.
 */
export interface PreparedBatch {
  rows: number;
  /** How many of its rows were removed (have a row error). */
  removed: number;
  staged: Buffer;
  errors: Buffer;
}

export interface Prevalidator {
  prepare(rows: readonly SourceRow[]): PreparedBatch;
  /** Stages a prepared batch in `tx`. */
  stage(tx: Queryable, batch: PreparedBatch): Promise<void>;
  /** prepare + stage; returns how many of the rows were removed. */
  stageBatch(tx: Queryable, rows: readonly SourceRow[]): Promise<number>;
}

export function createPrevalidator(opts: {
  importId: string;
  def: ResourceDefinition;
  mapper: ColumnMapper;
  locationId: string | null;
}): Prevalidator {
  const { importId, def, mapper, locationId } = opts;
  const schema = rowSchema(def);
  const identitySources = [ID_FIELD, ...def.lookupKeys];

  function stageOne(src: SourceRow): { staged: StagedRow; error: RowError | null } {
    const raw = cleanRow(src.values);
    const parseError = raw.__parse_error;
    if (typeof parseError === 'string') delete raw.__parse_error;
    const given: Record<string, unknown> = {};
    // Fields are validated from the values as read, not from `raw` (made storable): a NUL or a
    // lone surrogate in a field is that field's row error, never silently dropped or replaced.
    for (const header of Object.keys(src.values)) {
      if (header === PARSE_ERROR_KEY) continue;
      const value = src.values[header];
      const field = mapper.fieldOf(header);
      if (field === null || value === undefined) continue;
      if (typeof value === 'string' && value.trim() === '') continue; // an empty cell is "not given"
      given[field] = value;
    }
    if (locationId && def.locationField && !(def.locationField in given)) given[def.locationField] = locationId;
    // Identity is kept even for rows rejected here: overwrite must not delete what they name.
    const keys = identityKeys(def, identitySources, given);
    const ident = identitySources.find((k) => k in keys);
    const line = src.line ?? src.row + 1;
    const staged: StagedRow = { row: src.row, line, raw, vals: null, keys, ident: ident ? `${ident}:${keys[ident]}` : null };
    if (typeof parseError === 'string') {
      return { staged, error: { row: src.row, line, code: 'parse_error', field: null, message: parseError, data: raw } };
    }
    const parsed = schema.safeParse(given);
    if (!parsed.success) return { staged, error: { ...invalidValue(src.row, raw, parsed.error), line } };
    staged.vals = parsed.data; // fields the row does not give are undefined: JSON.stringify leaves them out
    return { staged, error: null };
  }

  const prepare = (rows: readonly SourceRow[]): PreparedBatch => {
    const staged: StagedRow[] = [];
    const errors: RowError[] = [];
    for (const src of rows) {
      const { staged: s, error } = stageOne(src);
      staged.push(s);
      if (error) errors.push(error);
    }
    return {
      rows: rows.length,
      removed: errors.length,
      staged: Buffer.from(stagedRowsCopyText(importId, staged)),
      errors: Buffer.from(rowErrorsCopyText(importId, 'prevalidation', errors)),
    };
  };
  const stage = async (tx: Queryable, batch: PreparedBatch) => {
    await copyStagedRows(tx, batch.staged);
    await copyRowErrors(tx, batch.errors);
  };
  return {
    prepare,
    stage,
    async stageBatch(tx, rows) {
      const batch = prepare(rows);
      await stage(tx, batch);
      return batch.removed;
    },
  };
}

/** Normalised identity values of a row, computed even for invalid rows (overwrite needs them). */
function identityKeys(def: ResourceDefinition, sources: readonly string[], given: Record<string, unknown>): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const k of sources) {
    const v = given[k];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const normalise = def.fields[k]?.normalise ?? ((s: string) => s.trim());
    const n = normalise(String(v));
    // A value jsonb cannot hold names nothing; its row is invalid anyway (fields.ts says why).
    if (n !== '' && unstorableText(n) === undefined) keys[k] = n;
  }
  return keys;
}

function invalidValue(row: number, raw: Record<string, unknown>, err: z.ZodError): RowError {
  const parts = err.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`);
  const first = err.issues[0]?.path[0];
  return {
    row,
    code: 'invalid_value',
    field: typeof first === 'string' ? first : null,
    message: parts.join('; '),
    data: raw,
  };
}

/** Characters jsonb cannot store as they are: NUL, and surrogates (which may be lone). */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

/** Makes any input storable as jsonb: no NUL characters, no lone surrogates, no non-finite numbers. */
function cleanValue(v: unknown): unknown {
  if (typeof v === 'string') return cleanString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(cleanValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // setOwn: a "__proto__" key is kept as data (plain assignment would set the prototype).
    for (const [k, x] of Object.entries(v)) setOwn(out, cleanString(k), cleanValue(x));
    return out;
  }
  return v;
}

function cleanString(s: string): string {
  if (!SUSPECT.test(s)) return s;
  const t = s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
  return t.isWellFormed() ? t : t.toWellFormed();
}

/**
 * The row as uploaded, storable as jsonb. A CSV row (string cells, nothing to clean, no parse
 * error) is used as it is: copying every row of a million-row file is most of what this costs.
 */
function cleanRow(values: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(values)) {
    const x = values[k];
    if (typeof x !== 'string' || SUSPECT.test(x) || SUSPECT.test(k) || k === PARSE_ERROR_KEY) {
      return cleanValue(values) as Record<string, unknown>;
    }
  }
  return values;
}

/**
 * Completes prevalidation, wherever its rows came from (the uploaded file in the worker, the
 * request for a sync import): the phase's counts, what the file turned out to be, the total.
 */
export async function completePrevalidation(
  tx: Queryable,
  importId: string,
  done: { total: number; error: number; mapper: ColumnMapper; headers: readonly string[]; format: string },
): Promise<void> {
  await completePhase(tx, importId, 0, { total: done.total, error: done.error });
  await recordFileFacts(tx, importId, { mapping: done.mapper.applied(), headers: done.headers, format: done.format });
  await refreshStats(tx, importId, { total: done.total });
}
