import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { findImport, findPhases, listImports, type ListFilter } from './import-store.js';
import type { ImportRecord, RowErrorView } from '../domain/import.js';
import { toImportView, type ImportUrls, type ImportView } from './import-view.js';

// Reading imports on behalf of an organization: another organization's import is 404.

export async function getImportView(db: Queryable, organizationId: string, id: string, urls?: (i: ImportRecord) => Promise<ImportUrls>): Promise<ImportView> {
  const imp = await findImport(db, organizationId, id);
  if (!imp) throw new AppError('not_found', `No import "${id}" in this organization.`);
  const phases = (await findPhases(db, [imp.id])).get(imp.id) ?? [];
  return toImportView(imp, phases, urls ? await urls(imp) : {});
}

export async function requireImport(db: Queryable, organizationId: string, id: string): Promise<ImportRecord> {
  const imp = await findImport(db, organizationId, id);
  if (!imp) throw new AppError('not_found', `No import "${id}" in this organization.`);
  return imp;
}

export interface Page<T> {
  data: T[];
  pagination: { page: number; limit: number; has_more: boolean; total_count: number };
}

export function page<T>(data: T[], total: number, p: { page: number; limit: number }): Page<T> {
  return { data, pagination: { page: p.page, limit: p.limit, has_more: p.page * p.limit < total, total_count: total } };
}

export async function listImportViews(
  db: Queryable,
  organizationId: string,
  f: ListFilter,
  urls?: (i: ImportRecord) => Promise<ImportUrls>,
): Promise<Page<ImportView>> {
  const { rows, total } = await listImports(db, organizationId, f);
  const phases = await findPhases(db, rows.map((r) => r.id));
  const views = await Promise.all(rows.map(async (r) => toImportView(r, phases.get(r.id) ?? [], urls ? await urls(r) : {})));
  return page(views, total, f);
}

export type { RowErrorView } from '../domain/import.js';

export async function listRowErrors(db: Queryable, organizationId: string, importId: string, p: { page: number; limit: number }): Promise<Page<RowErrorView>> {
  await requireImport(db, organizationId, importId);
  const [rows, count] = await Promise.all([
    db.query<RowErrorView>(
      'SELECT row, coalesce(line, row + 1) AS line, phase, code, field, message, data FROM import_errors WHERE import_id = $1 ORDER BY row LIMIT $2 OFFSET $3',
      [importId, p.limit, (p.page - 1) * p.limit],
    ),
    db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_errors WHERE import_id = $1', [importId]),
  ]);
  return page(rows.rows, count.rows[0]?.n ?? 0, p);
}
