import type { Queryable } from '../db/db.js';
import { REVERT_HOLDING_STATUSES, type ImportRecord } from '../domain/import.js';

// An import as the pipeline and the lifecycle see it (internal columns included). IMPORT_COLUMNS
// is selected FROM imports without an alias: `reverted_by` looks up the revert naming it.

export const epoch = (col: string) => `floor(extract(epoch FROM ${col}))::float8`;

export const IMPORT_COLUMNS = `id, organization_id, resource, upload_mode, action, status, duplicate_handling, reason,
  has_upload_file, has_errors_file, has_results_file, name, location_id, created_by, updated_by, column_mapping, stats,
  checksum, expected_checksum, save_upload, allow_mass_delete, review, dry_run, file_key, file_format, attempt,
  ${epoch('created_at')} AS created_at, ${epoch('updated_at')} AS updated_at,
  ${epoch('upload_expires_at')} AS upload_expires_at, reverts, revert_force,
  (SELECT rv.id FROM imports rv WHERE rv.reverts = imports.id
     AND rv.status IN (${REVERT_HOLDING_STATUSES.map((s) => `'${s}'`).join(', ')}) ORDER BY rv.created_at DESC LIMIT 1) AS reverted_by`;

/** By id alone: for the worker and the signed-URL routes, which act for the import's own organization. */
export async function findImportById(db: Queryable, id: string): Promise<ImportRecord | null> {
  const res = await db.query<ImportRecord>(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1`, [id]);
  return res.rows[0] ?? null;
}
