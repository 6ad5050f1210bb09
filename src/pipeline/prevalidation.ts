import type { z } from 'zod';
import type { Queryable } from '../db/db.js';
import type { ColumnMapper } from '../imports/column-mapping.js';
import { ID_FIELD, rowSchema, type ResourceDefinition } from '../resources/resource.js';
import { copyRowErrors, copyStagedRows, type RowError, type StagedRow } from './working-rows.js';

// Phase 1, prevalidation: each input row is mapped to fields, coerced and validated against the
// resource's Zod schema, and COPYed into import_rows with its row number. Invalid rows are
// staged too (their identity still counts for overwrite) and get their error in the same batch.

export interface SourceRow {
  row: number;
  values: Record<string, unknown>;
}

export interface Prevalidator {
  /** Stages one batch in `tx`; returns how many of its rows were removed. */
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
    const raw = cleanValue(src.values) as Record<string, unknown>;
    const parseError = raw.__parse_error;
    if (typeof parseError === 'string') delete raw.__parse_error;
    const given: Record<string, unknown> = {};
    for (const [header, value] of Object.entries(raw)) {
      const field = mapper.fieldOf(header);
      if (field === null || value === undefined) continue;
      if (typeof value === 'string' && value.trim() === '') continue; // an empty cell is "not given"
      given[field] = value;
    }
    if (locationId && def.locationField && !(def.locationField in given)) given[def.locationField] = locationId;
    // Identity is kept even for rows rejected here: overwrite must not delete what they name.
    const keys = identityKeys(def, identitySources, given);
    const ident = identitySources.find((k) => k in keys);
    const staged: StagedRow = { row: src.row, raw, vals: null, keys, ident: ident ? `${ident}:${keys[ident]}` : null };
    if (typeof parseError === 'string') {
      return { staged, error: { row: src.row, code: 'parse_error', field: null, message: parseError, data: raw } };
    }
    const parsed = schema.safeParse(given);
    if (!parsed.success) return { staged, error: invalidValue(src.row, raw, parsed.error) };
    staged.vals = stripUndefined(parsed.data);
    return { staged, error: null };
  }

  return {
    async stageBatch(tx, rows) {
      const staged: StagedRow[] = [];
      const errors: RowError[] = [];
      for (const src of rows) {
        const { staged: s, error } = stageOne(src);
        staged.push(s);
        if (error) errors.push(error);
      }
      await copyStagedRows(tx, importId, staged);
      await copyRowErrors(tx, importId, 'prevalidation', errors);
      return errors.length;
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
    if (n !== '') keys[k] = n;
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

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** Makes any input storable as jsonb: no NUL characters, no lone surrogates, no non-finite numbers. */
function cleanValue(v: unknown): unknown {
  if (typeof v === 'string') {
    const s = v.includes('\u0000') ? v.replace(/\u0000/g, '') : v;
    return s.isWellFormed() ? s : s.toWellFormed();
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(cleanValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[cleanValue(k) as string] = cleanValue(x);
    return out;
  }
  return v;
}
