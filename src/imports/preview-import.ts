import type { Config } from '../config.js';
import type { Queryable } from '../db/db.js';
import { sql } from '../db/sql.js';
import type { ImportRecord } from '../domain/import.js';
import { AppError } from '../errors.js';
import { FileReadError, openRows, PARSE_ERROR_KEY, type FileFormat, type OpenedRowSource } from '../files/index.js';
import { scopeCondition } from '../pipeline/overwrite-scope.js';
import { ColumnMapper, fieldNames, type MatchKind } from '../resources/column-mapping.js';
import { getResource } from '../resources/index.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { StorageNotFound, type Storage } from '../storage/storage.js';
import { isAwaitingStart } from './import-view.js';
import { requireImport } from './read-imports.js';

// GET /v1/imports/{id}/preview: what a review import's stored file looks like before any phase
// runs — its format, encoding and delimiter (sniffed as prevalidation will), its headers, the
// first PREVIEW_ROWS data rows, and how each header would map to a field (the same ColumnMapper
// prevalidation uses, so the preview cannot disagree with the run). Only the first rows are
// read: the reader streams, and is closed as soon as enough rows were seen.

export const PREVIEW_ROWS = 20;
/** A cell longer than this is cut in the preview (a preview is for eyes, not for data). */
export const PREVIEW_CELL_CHARS = 1000;

export interface PreviewDeps {
  db: Queryable;
  config: Readonly<Config>;
  storage: Storage;
}

export interface ImportPreview {
  object: 'import_preview';
  import_id: string;
  format: FileFormat;
  encoding: string | null;
  delimiter: ',' | ';' | '\t' | '|' | null;
  headers: string[];
  rows: (string | null)[][];
  columns: { header: string; field: string | null; match: MatchKind | null }[];
  fields: { name: string; type: string; required_to_create: boolean; lookup_key: boolean; mapped_from: string | null }[];
  missing_required: string[];
  missing_lookup_keys: string[];
  existing_records: number;
  mass_delete_max_ratio: number;
}

/** The import, if it is a review import waiting for start; else 404 (not this organization's) or 409. */
export async function requireAwaitingStart(db: Queryable, organizationId: string, id: string): Promise<ImportRecord> {
  const imp = await requireImport(db, organizationId, id);
  if (!isAwaitingStart(imp)) throw notAwaitingStart(imp);
  if (imp.upload_expires_at !== null && imp.upload_expires_at <= Math.floor(Date.now() / 1000)) throw windowClosed(imp.id);
  return imp;
}

/** Its file came, but nobody started it in time: the expiry sweep is about to end it. */
export function windowClosed(id: string): AppError {
  return new AppError('invalid_state', `Import ${id} can no longer be started: its window to start closed, and it expires.`, { status: 'requested' });
}

export function notAwaitingStart(imp: ImportRecord): AppError {
  const why = !imp.review
    ? 'it was not created with review: true (only review imports wait for start; this one runs as soon as its file arrives)'
    : imp.status !== 'requested'
      ? `it has already started or ended (status "${imp.status}")`
      : 'its file has not been uploaded yet: PUT it to the _upload_url first';
  return new AppError('invalid_state', `Import ${imp.id} is not awaiting start: ${why}.`, { status: imp.status, review: imp.review });
}

export async function previewImport(deps: PreviewDeps, organizationId: string, id: string): Promise<ImportPreview> {
  const imp = await requireAwaitingStart(deps.db, organizationId, id);
  const def = getResource(imp.resource);
  const mapper = new ColumnMapper(def, imp.column_mapping);
  const source = await openStoredFile(deps, imp);
  const headers = [...source.headers];
  const rows: Record<string, unknown>[] = [];
  try {
    try {
      mapper.checkHeaders(source.headers);
    } catch {
      // A created mapping naming a header the file lacks: the preview shows the mapping as it
      // applies (that header maps nothing); starting as is would fail with that message.
    }
    for await (const r of source.rows) {
      // JSON rows may bring keys the first object did not have; they are columns too.
      for (const k of Object.keys(r.values)) {
        if (k === PARSE_ERROR_KEY || headers.includes(k)) continue;
        headers.push(k);
        mapper.fieldOf(k);
      }
      rows.push(r.values);
      if (rows.length >= PREVIEW_ROWS) break;
    }
  } catch (err) {
    throw unreadable(err);
  } finally {
    await source.close();
  }
  const applied = mapper.applied();
  const present = new Set(headers.map((h) => h.trim()));
  const mappedFrom = (f: string) => (applied[f] !== undefined && present.has(applied[f]) ? applied[f] : null);
  const lookupKeys = new Set(def.lookupKeys);
  const required = requiredHere(def, imp);
  return {
    object: 'import_preview',
    import_id: imp.id,
    format: source.format,
    encoding: source.encoding,
    delimiter: source.delimiter,
    headers,
    rows: rows.map((values) => headers.map((h) => cellText(values[h]))),
    columns: headers.map((h) => ({ header: h, field: mapper.fieldOf(h), match: mapper.matchOf(h) })),
    fields: fieldNames(def).map((name) => ({
      name,
      type: def.fields[name]?.doc.type ?? 'string',
      required_to_create: def.requiredToCreate.includes(name),
      lookup_key: lookupKeys.has(name),
      mapped_from: mappedFrom(name),
    })),
    missing_required: required.filter((f) => mappedFrom(f) === null),
    missing_lookup_keys: def.lookupKeys.filter((f) => mappedFrom(f) === null),
    existing_records: await countExisting(deps.db, def, imp),
    mass_delete_max_ratio: deps.config.limits.massDeleteMaxRatio,
  };
}

/**
 * Fields a row must give to create a record in this import: none for a delete (it creates
 * nothing), and not the location field when the import's location_id fills it in.
 */
function requiredHere(def: ResourceDefinition, imp: ImportRecord): string[] {
  if (imp.action === 'delete') return [];
  return def.requiredToCreate.filter((f) => !(imp.location_id !== null && f === def.locationField));
}

/** The review import's stored file, opened as prevalidation reads it; a problem is a 422 unreadable_file. */
export async function openStoredFile(deps: PreviewDeps, imp: ImportRecord): Promise<OpenedRowSource> {
  try {
    return await openRows(await deps.storage.get(imp.file_key!), deps.config.fileLimits);
  } catch (err) {
    throw unreadable(err);
  }
}

/** A problem with the file is the same clear message prevalidation would end the import with. */
function unreadable(err: unknown): unknown {
  if (err instanceof FileReadError) return new AppError('unreadable_file', `${err.message}`, { code: err.code });
  if (err instanceof StorageNotFound) {
    return new AppError('unreadable_file', 'The uploaded file is no longer in storage; create a new import.', { code: 'unreadable_file' });
  }
  return err;
}

/** The records the import would act on: the organization's (at its location_id, for resources tied to one). */
async function countExisting(db: Queryable, def: ResourceDefinition, imp: ImportRecord): Promise<number> {
  const scope = scopeCondition(def, {
    organizationId: sql.param(imp.organization_id, 'organization id'),
    locationId: imp.location_id === null ? null : sql.param(imp.location_id, 'location_id'),
  });
  const res = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${sql.ident(def.table)} t WHERE ${scope}`);
  return res.rows[0]?.n ?? 0;
}

function cellText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? '' : v.toISOString();
  else s = JSON.stringify(v) ?? '';
  return s.length > PREVIEW_CELL_CHARS ? `${s.slice(0, PREVIEW_CELL_CHARS)}…` : s;
}
