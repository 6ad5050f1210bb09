import type { Db, Queryable } from '../db/db.js';
import { AppError, type RowErrorCode } from '../errors.js';
import { findImport, findPhases } from './import-store.js';
import { IMPORT_COLUMNS } from '../lifecycle/import-record.js';
import type { ImportRecord, ImportStatus, RowErrorView as StoredRowError } from '../domain/import.js';
import { toImportView, type ImportUrls, type ImportView } from './import-view.js';
import { cappedCount, countRows, finishPage, keyset, pageMode, Params, readPlanned, type Page, type PageRequest } from './list-page.js';

// Reading imports on behalf of an organization: another organization's import is 404.

export async function getImportView(db: Queryable, organizationId: string, id: string, urls?: (i: ImportRecord) => Promise<ImportUrls>): Promise<ImportView> {
  const imp = await requireImport(db, organizationId, id);
  const phases = (await findPhases(db, [imp.id])).get(imp.id) ?? [];
  return toImportView(imp, phases, urls ? await urls(imp) : {});
}

export async function requireImport(db: Queryable, organizationId: string, id: string): Promise<ImportRecord> {
  const imp = await findImport(db, organizationId, id);
  if (!imp) throw new AppError('not_found', `No import "${id}" in this organization.`);
  return imp;
}

export interface ImportQuery extends PageRequest {
  status?: ImportStatus | undefined;
  resource?: string | undefined;
}

/** Imports newest first; a cursor is an import id of this organization. */
export async function listImportViews(
  db: Db,
  organizationId: string,
  q: ImportQuery,
  urls?: (i: ImportRecord) => Promise<ImportUrls>,
): Promise<Page<ImportView>> {
  const mode = pageMode(q);
  if (mode.kind !== 'page' && !(await findImport(db, organizationId, mode.cursor))) {
    const field = mode.kind === 'after' ? 'starting_after' : 'ending_before';
    throw new AppError('invalid_request', `${field}: no import "${mode.cursor}" in this organization to page from.`, [
      { field, in: 'querystring', message: 'is not an import of this organization' },
    ]);
  }
  const params = new Params();
  const org = params.add(organizationId);
  const conds = [`organization_id = ${org}`];
  if (q.status !== undefined) conds.push(`status = ${params.add(q.status)}`);
  if (q.resource !== undefined) conds.push(`resource = ${params.add(q.resource)}`);
  const where = conds.join(' AND ');
  const countParams = [...params.values];
  const page = keyset(mode, ['created_at', 'id'], q.limit, params, {
    descending: true,
    cursor: (p) => `(SELECT created_at, id FROM imports WHERE organization_id = ${org} AND id = ${p})`,
  });
  const rows = await db.query<ImportRecord & { capped_count?: number }>(
    `SELECT ${IMPORT_COLUMNS}, ${cappedCount('imports', where, 'created_at DESC, id DESC')} AS capped_count FROM imports WHERE ${where} AND ${page.where} ORDER BY ${page.orderBy} ${page.limit}`,
    params.values,
  );
  const total = await countRows(db, 'imports', where, countParams, { exact: q.include_total ?? false, orderBy: 'created_at DESC, id DESC', counted: rows.rows[0]?.capped_count });
  for (const r of rows.rows) delete r.capped_count;
  const result = finishPage(rows.rows, mode, q.limit, total);
  const phases = await findPhases(db, result.data.map((r) => r.id));
  const views = await Promise.all(result.data.map(async (r) => toImportView(r, phases.get(r.id) ?? [], urls ? await urls(r) : {})));
  return { data: views, pagination: result.pagination };
}

// A row error's `data` is the row as uploaded: up to the reader's cell and column limits, which
// allow rows of many megabytes. A listing bounds what it returns per error, inside the database,
// so neither the driver nor the API ever holds a whole large row: each value is cut to
// ROW_ERROR_VALUE_CHARS characters (objects and arrays: their JSON text, cut), keys to
// ROW_ERROR_KEY_CHARS, and values are kept in order while the error's data stays within
// ROW_ERROR_DATA_CHARS; `data_truncated: true` says when anything was cut (absent otherwise, so
// an error listed whole looks exactly like its entry in the errors download). The errors download
// (`include_errors_json` / `include_errors_csv`) has every row whole.
export const ROW_ERROR_VALUE_CHARS = 1000;
export const ROW_ERROR_KEY_CHARS = 200;
export const ROW_ERROR_DATA_CHARS = 16_384;
export const ROW_ERROR_MESSAGE_CHARS = 2000;

/** A row error as listed: as stored (and in the downloads), its data perhaps cut. */
export interface RowErrorView extends StoredRowError {
  code: RowErrorCode;
  /** Present, and true, only when the listing cut some of the row's data. */
  data_truncated?: true;
}

export interface RowErrorQuery extends PageRequest<number> {
  code?: RowErrorCode | undefined;
  field?: string | undefined;
}

/** An import's row errors in row order; a cursor is a row number. */
export async function listRowErrors(db: Db, organizationId: string, importId: string, q: RowErrorQuery): Promise<Page<RowErrorView>> {
  await requireImport(db, organizationId, importId);
  const mode = pageMode(q);
  const params = new Params();
  const conds = [`import_id = ${params.add(importId)}`];
  if (q.code !== undefined) conds.push(`code = ${params.add(q.code)}`);
  if (q.field !== undefined) conds.push(`field = ${params.add(q.field)}`);
  const where = conds.join(' AND ');
  const countParams = [...params.values];
  const page = keyset(mode, 'row', q.limit, params);
  const value = `${params.add(ROW_ERROR_VALUE_CHARS)}::int`;
  const key = `${params.add(ROW_ERROR_KEY_CHARS)}::int`;
  const budget = `${params.add(ROW_ERROR_DATA_CHARS)}::int`;
  const message = `${params.add(ROW_ERROR_MESSAGE_CHARS)}::int`;
  return readPlanned(db, async (tx) => {
    const rows = await tx.query<Omit<RowErrorView, 'data_truncated'> & { data_truncated?: boolean; capped_count?: number }>(
        `SELECT e.row, coalesce(e.line, e.row + 1) AS line, e.phase, e.code, e.field, ${cappedCount('import_errors', where, 'row')} AS capped_count,
                CASE WHEN length(e.message) > ${message} THEN left(e.message, ${message}) || '…' ELSE e.message END AS message,
                CASE WHEN jsonb_typeof(e.data) = 'object' THEN coalesce(d.data, '{}'::jsonb)
                     WHEN length(e.data::text) > ${budget} THEN to_jsonb(left(e.data::text, ${budget}))
                     ELSE e.data END AS data,
                CASE WHEN jsonb_typeof(e.data) = 'object' THEN coalesce(d.cut, false)
                     ELSE coalesce(length(e.data::text) > ${budget}, false) END AS data_truncated
         FROM (SELECT * FROM import_errors WHERE ${where} AND ${page.where} ORDER BY ${page.orderBy} ${page.limit}) e
         LEFT JOIN LATERAL (
           SELECT jsonb_object_agg(k.key, k.value ORDER BY k.ord) FILTER (WHERE k.kept) AS data,
                  bool_or(k.cut OR NOT k.kept) AS cut
           FROM (
             SELECT c.key, c.value, c.ord, c.cut,
                    sum(length(c.key) + length(c.value::text)) OVER (ORDER BY c.ord) <= ${budget} AS kept
             FROM (
               SELECT j.ord, left(j.key, ${key}) AS key,
                      CASE WHEN jsonb_typeof(j.value) = 'string' AND length(j.value #>> '{}') > ${value}
                             THEN to_jsonb(left(j.value #>> '{}', ${value}))
                           WHEN jsonb_typeof(j.value) IN ('object', 'array') AND length(j.value::text) > ${value}
                             THEN to_jsonb(left(j.value::text, ${value}))
                           ELSE j.value END AS value,
                      length(j.key) > ${key}
                        OR (jsonb_typeof(j.value) = 'string' AND length(j.value #>> '{}') > ${value})
                        OR (jsonb_typeof(j.value) IN ('object', 'array') AND length(j.value::text) > ${value}) AS cut
               FROM jsonb_each(CASE WHEN jsonb_typeof(e.data) = 'object' THEN e.data ELSE '{}'::jsonb END) WITH ORDINALITY AS j(key, value, ord)
             ) c
           ) k
         ) d ON true
         ORDER BY ${page.orderBy}`,
        params.values,
    );
    const total = await countRows(tx, 'import_errors', where, countParams, { exact: q.include_total ?? false, orderBy: 'row', counted: rows.rows[0]?.capped_count });
    const errors: RowErrorView[] = rows.rows.map(({ capped_count: _, data_truncated, ...e }) => (data_truncated ? { ...e, data_truncated: true as const } : e));
    return finishPage(errors, mode, q.limit, total);
  });
}
