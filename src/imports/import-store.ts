import type { Queryable } from '../db/db.js';
import { PHASES, phaseMode, type PhaseStatus } from '../pipeline/phases.js';
import { undoUnfinishedProcessing } from '../pipeline/undo-processing.js';
import type { ImportRecord, ImportStatus, PhaseRecord, Stats } from './import-types.js';

// SQL over `imports` and `import_phases`. Every query that reads on behalf of a client takes the
// organization id, so another organization's import is simply "not found".

const epoch = (col: string) => `floor(extract(epoch FROM ${col}))::float8`;

export const IMPORT_COLUMNS = `id, organization_id, resource, upload_mode, action, status, duplicate_handling, reason,
  has_upload_file, has_errors_file, name, location_id, created_by, updated_by, column_mapping, stats,
  checksum, expected_checksum, save_upload, allow_mass_delete, file_key, file_format, attempt,
  ${epoch('created_at')} AS created_at, ${epoch('updated_at')} AS updated_at,
  ${epoch('upload_expires_at')} AS upload_expires_at`;

export interface NewImport {
  id: string;
  organization_id: string;
  resource: string;
  upload_mode: string;
  action: string;
  status: ImportStatus;
  duplicate_handling: string;
  name: string | null;
  location_id: string | null;
  created_by: string;
  column_mapping: Record<string, string> | null;
  stats: Stats;
  checksum: string | null;
  expected_checksum: string | null;
  save_upload: boolean;
  allow_mass_delete: boolean;
  upload_expires_at: Date | null;
}

export async function insertImport(tx: Queryable, i: NewImport): Promise<void> {
  await tx.query(
    `INSERT INTO imports (id, organization_id, resource, upload_mode, action, status, duplicate_handling, name,
       location_id, created_by, updated_by, column_mapping, stats, checksum, expected_checksum, save_upload,
       allow_mass_delete, upload_expires_at, queued_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17,
       CASE WHEN $6 = 'queued' THEN now() END)`,
    [
      i.id, i.organization_id, i.resource, i.upload_mode, i.action, i.status, i.duplicate_handling, i.name,
      i.location_id, i.created_by, i.column_mapping ? JSON.stringify(i.column_mapping) : null,
      JSON.stringify(i.stats), i.checksum, i.expected_checksum, i.save_upload, i.allow_mass_delete,
      i.upload_expires_at,
    ],
  );
  await tx.query(
    `INSERT INTO import_phases (import_id, position, name, mode, status)
     SELECT $1, p.position - 1, p.name, p.mode, 'pending'
     FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS p(name, mode, position)`,
    [i.id, PHASES.map((p) => p.name), PHASES.map((_, n) => phaseMode(n, i.upload_mode as 'sync' | 'async'))],
  );
}

export async function findImport(db: Queryable, organizationId: string, id: string): Promise<ImportRecord | null> {
  const res = await db.query<ImportRecord>(
    `SELECT ${IMPORT_COLUMNS} FROM imports WHERE organization_id = $1 AND id = $2`,
    [organizationId, id],
  );
  return res.rows[0] ?? null;
}

/** For the worker, which acts on behalf of the import's own organization. */
export async function findImportById(db: Queryable, id: string): Promise<ImportRecord | null> {
  const res = await db.query<ImportRecord>(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1`, [id]);
  return res.rows[0] ?? null;
}

export async function findPhases(db: Queryable, importIds: readonly string[]): Promise<Map<string, PhaseRecord[]>> {
  const res = await db.query<PhaseRecord & { import_id: string }>(
    `SELECT import_id, name, mode, status, total, processed, success, error,
       ${epoch('started_at')} AS started_at, ${epoch('completed_at')} AS completed_at
     FROM import_phases WHERE import_id = ANY($1::text[]) ORDER BY import_id, position`,
    [importIds],
  );
  const out = new Map<string, PhaseRecord[]>();
  for (const { import_id, ...p } of res.rows) {
    const list = out.get(import_id) ?? [];
    list.push(p);
    out.set(import_id, list);
  }
  return out;
}

export async function phaseStatuses(db: Queryable, importId: string): Promise<PhaseStatus[]> {
  const res = await db.query<{ status: PhaseStatus }>(
    'SELECT status FROM import_phases WHERE import_id = $1 ORDER BY position',
    [importId],
  );
  return res.rows.map((r) => r.status);
}

export async function markPhaseRunning(tx: Queryable, importId: string, position: number, total: number): Promise<void> {
  await tx.query(
    // A phase resumed after a crash keeps the total it started with: the ranges it committed
    // have removed rows since.
    `UPDATE import_phases SET status = 'running', total = CASE WHEN status = 'running' THEN total ELSE $3 END,
       started_at = coalesce(started_at, clock_timestamp())
     WHERE import_id = $1 AND position = $2`,
    [importId, position, total],
  );
}

export async function setPhaseProgress(tx: Queryable, importId: string, position: number, processed: number, error: number): Promise<void> {
  await tx.query(
    `UPDATE import_phases SET processed = $3::int, error = $4::int, success = $3::int - $4::int, total = greatest(total, $3::int)
     WHERE import_id = $1 AND position = $2`,
    [importId, position, processed, error],
  );
}

export interface PhaseCounts {
  total: number;
  error: number;
}

export async function completePhase(
  tx: Queryable,
  importId: string,
  position: number,
  c: PhaseCounts,
  status: 'completed' | 'skipped' = 'completed',
): Promise<void> {
  await tx.query(
    `UPDATE import_phases SET status = $3, total = $4::int, processed = $4::int, error = $5::int, success = $4::int - $5::int,
       started_at = coalesce(started_at, clock_timestamp()), completed_at = clock_timestamp()
     WHERE import_id = $1 AND position = $2`,
    [importId, position, status, c.total, c.error],
  );
}

/**
 * Phases not yet done are marked skipped (import failed before them) or failed (the one that was
 * running, whose committed ranges of records are rolled back first).
 */
export async function closeOpenPhases(tx: Queryable, importId: string): Promise<void> {
  await undoUnfinishedProcessing(tx, importId);
  await tx.query(
    `UPDATE import_phases SET
       status = CASE WHEN status = 'running' THEN 'failed' ELSE 'skipped' END,
       completed_at = CASE WHEN status = 'running' THEN clock_timestamp() ELSE completed_at END
     WHERE import_id = $1 AND status IN ('pending', 'running')`,
    [importId],
  );
}

/** Merges counters into stats and recounts `duplicates`/`errors` from the error rows. */
export async function refreshStats(tx: Queryable, importId: string, patch: Partial<Stats> = {}): Promise<void> {
  await tx.query(
    `UPDATE imports SET updated_at = now(), stats = stats || $2::jsonb || (
       SELECT jsonb_build_object(
         'duplicates', count(*) FILTER (WHERE code = 'duplicate'),
         'errors', count(*) FILTER (WHERE code <> 'duplicate'))
       FROM import_errors WHERE import_id = $1)
     WHERE id = $1`,
    [importId, JSON.stringify(patch)],
  );
}

export async function finishImport(
  tx: Queryable,
  importId: string,
  status: Extract<ImportStatus, 'completed' | 'failed' | 'timed_out' | 'expired'>,
  reason: string | null,
): Promise<void> {
  await tx.query(
    // has_upload_file / has_errors_file are not touched here: writeImportFiles (import-files.ts)
    // sets them when it writes the files, so a flag is never true for a file that does not exist.
    `UPDATE imports SET status = $2, reason = $3, updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $1`,
    [importId, status, reason],
  );
}
