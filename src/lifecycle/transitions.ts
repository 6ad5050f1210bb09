import type { Queryable } from '../db/db.js';
import { FINAL_STATUSES, type FinalStatus, type ImportRecord, type ImportStatus, type Stats } from '../domain/import.js';
import type { PhaseRow } from '../domain/phases.js';
import { findImportById } from './import-record.js';

// Every change of an import's status, each one named, guarded statement: it names the statuses
// it moves from (and, for a worker's own moves, the attempt it holds), so a change that lost a
// race changes nothing and says so (false / null / no rows). Nothing else in the tree writes
// `imports.status`. Ending an import goes through end-import.ts, which calls `settle` last.

/** `status IN ('completed', …)` for SQL, built from the one list. */
export const FINAL_STATUS_SQL = `(${FINAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;

type Ref = Pick<ImportRecord, 'id' | 'attempt'>;

export interface NewImport {
  id: string;
  organization_id: string;
  resource: string;
  upload_mode: string;
  action: string;
  /** `requested` (waits for its file) or `queued` (a sync import: its rows are in the request). */
  status: Extract<ImportStatus, 'requested' | 'queued'>;
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
  /** Wait for POST …/start after the upload instead of queueing (async only). */
  review?: boolean;
  /** A dry run: forecasts, changes nothing (src/pipeline/dry-run.ts). */
  dry_run?: boolean;
  /** Where its file is when it arrived with the request (an inline XLSX, read by the worker). */
  file_key?: string | null;
}

/** create → requested | queued, with its phases (pipeline/phase-list.ts phaseRows) pending. */
export async function insertImport(tx: Queryable, i: NewImport, phases: readonly PhaseRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO imports (id, organization_id, resource, upload_mode, action, status, duplicate_handling, name,
       location_id, created_by, updated_by, column_mapping, stats, checksum, expected_checksum, save_upload,
       allow_mass_delete, upload_expires_at, file_key, review, queued_at, dry_run)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17, $18, $19,
       CASE WHEN $6 = 'queued' THEN now() END, $20)`,
    [
      i.id, i.organization_id, i.resource, i.upload_mode, i.action, i.status, i.duplicate_handling, i.name,
      i.location_id, i.created_by, i.column_mapping ? JSON.stringify(i.column_mapping) : null,
      JSON.stringify(i.stats), i.checksum, i.expected_checksum, i.save_upload, i.allow_mass_delete,
      i.upload_expires_at, i.file_key ?? null, i.review ?? false,
      i.dry_run ?? false,
    ],
  );
  await tx.query(
    `INSERT INTO import_phases (import_id, position, name, mode, status)
     SELECT $1, p.position - 1, p.name, p.mode, 'pending'
     FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS p(name, mode, position)`,
    [i.id, phases.map((p) => p.name), phases.map((p) => p.mode)],
  );
}

/** requested → queued: the file arrived. Returns the checksum asked for at creation, or null when the import was no longer requested. */
export async function queueUpload(tx: Queryable, importId: string, checksum: string, fileKey: string): Promise<{ expected_checksum: string | null } | null> {
  const res = await tx.query<{ expected_checksum: string | null }>(
    `UPDATE imports SET status = 'queued', checksum = $2, file_key = $3, queued_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'requested' AND file_key IS NULL AND NOT review
     RETURNING expected_checksum`,
    [importId, checksum, fileKey],
  );
  return res.rows[0] ?? null;
}

/**
 * requested → requested, awaiting start: the file of a review import arrived and is stored; no
 * phase runs until `startReviewed`. The window to start it restarts now (`windowSeconds`, the
 * upload TTL): never started, it expires like an upload that never came (`dueForExpiry`).
 * Same return as `queueUpload`.
 */
export async function holdUploadForReview(
  tx: Queryable,
  importId: string,
  checksum: string,
  fileKey: string,
  windowSeconds: number,
): Promise<{ expected_checksum: string | null } | null> {
  const res = await tx.query<{ expected_checksum: string | null }>(
    `UPDATE imports SET checksum = $2, file_key = $3, upload_expires_at = now() + make_interval(secs => $4), updated_at = now()
     WHERE id = $1 AND status = 'requested' AND file_key IS NULL AND review
     RETURNING expected_checksum`,
    [importId, checksum, fileKey, windowSeconds],
  );
  return res.rows[0] ?? null;
}

/** What POST …/start may change before the phases run; absent = keep what the import has. */
export interface StartChoices {
  column_mapping?: Record<string, string>;
  duplicate_handling?: string;
  allow_mass_delete?: boolean;
}

/**
 * requested (a review import with its file, within its window) → queued, with the choices made
 * after looking at the preview. False when it was not awaiting start (never a review import,
 * no file yet, started already, ended, or its window closed).
 */
export async function startReviewed(tx: Queryable, importId: string, organizationId: string, by: string, c: StartChoices): Promise<boolean> {
  const res = await tx.query(
    `UPDATE imports SET status = 'queued', queued_at = now(), updated_at = now(), updated_by = $3,
       column_mapping = coalesce($4::jsonb, column_mapping),
       duplicate_handling = coalesce($5, duplicate_handling),
       allow_mass_delete = coalesce($6, allow_mass_delete)
     WHERE id = $1 AND organization_id = $2 AND status = 'requested' AND review AND file_key IS NOT NULL
       AND upload_expires_at > now()`,
    [
      importId, organizationId, by, c.column_mapping ? JSON.stringify(c.column_mapping) : null,
      c.duplicate_handling ?? null, c.allow_mass_delete ?? null,
    ],
  );
  return res.rowCount > 0;
}

/**
 * queued → processing, or processing (lease expired: its worker died) → processing under a new
 * attempt. A takeover counts as a failure: the attempt before it ended without a result, and a
 * file that kills its worker must not be retried forever (the worker ends an import whose
 * failures reached the cap instead of running it, see Runner).
 *
 * Which import: the queued one whose (organization, resource) has none processing — among
 * organizations, the one with the fewest imports processing, then the one served least
 * recently (round-robin: one organization's backlog never holds up another's, even with a
 * single worker), then the oldest. The processing clock restarts when an import leaves the
 * queue, but not on a takeover, so an import that keeps killing its workers still times out.
 */
export async function claimNext(db: Queryable, workerId: string, leaseSeconds: number): Promise<ImportRecord | null> {
  try {
    const res = await db.query<{ id: string }>(
      `UPDATE imports SET status = 'processing', attempt = attempt + 1, lease_owner = $1,
         lease_expires_at = now() + make_interval(secs => $2), updated_at = now(),
         failures = failures + CASE WHEN status = 'processing' THEN 1 ELSE 0 END,
         processing_started_at = CASE WHEN status = 'queued' THEN now() ELSE processing_started_at END
       WHERE id = (
         SELECT i.id FROM imports i
         WHERE i.run_after <= now() AND (
           (i.status = 'queued' AND NOT EXISTS (
              SELECT 1 FROM imports p WHERE p.organization_id = i.organization_id AND p.resource = i.resource
                AND p.status = 'processing'))
           OR (i.status = 'processing' AND i.lease_expires_at < now()))
         ORDER BY (SELECT count(*) FROM imports b WHERE b.organization_id = i.organization_id AND b.status = 'processing'),
                  (SELECT max(s.processing_started_at) FROM imports s WHERE s.organization_id = i.organization_id) NULLS FIRST,
                  i.queued_at, i.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [workerId, leaseSeconds],
    );
    const id = res.rows[0]?.id;
    return id ? await findImportById(db, id) : null;
  } catch (err) {
    // Another worker started an import of the same (organization, resource) at the same moment.
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  }
}

/** processing → processing: the heartbeat. False when this attempt no longer holds the import. */
export async function renewLease(db: Queryable, imp: Ref, leaseSeconds: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE imports SET lease_expires_at = now() + make_interval(secs => $3)
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt, leaseSeconds],
  );
  return res.rowCount > 0;
}

/** processing → queued after a transient error, counted as a failure, retried after `delaySeconds`. */
export async function requeue(db: Queryable, imp: Ref, delaySeconds: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE imports SET status = 'queued', failures = failures + 1, lease_owner = NULL, lease_expires_at = NULL,
       run_after = now() + make_interval(secs => $3), updated_at = now()
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt, delaySeconds],
  );
  return res.rowCount > 0;
}

/** processing → queued at once, not counted as a failure (a worker shutting down). */
export async function release(db: Queryable, imp: Ref): Promise<void> {
  await db.query(
    `UPDATE imports SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = now(), updated_at = now()
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt],
  );
}

/**
 * Takes the import away from whoever runs it: bumps the attempt, so a worker mid-phase is fenced
 * out (its phase rolls back at its commit-time check). Returns the status it had, or null when
 * it is final already or does not exist. The row stays locked until the caller's transaction
 * ends, which `settle`s it.
 */
export async function seize(tx: Queryable, importId: string, organizationId?: string): Promise<{ status: ImportStatus } | null> {
  const res = await tx.query<{ status: ImportStatus }>(
    `WITH before AS (
       SELECT id, status FROM imports WHERE id = $1 AND ($2::text IS NULL OR organization_id = $2)
         AND status NOT IN ${FINAL_STATUS_SQL} FOR UPDATE
     )
     UPDATE imports i SET attempt = attempt + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
     FROM before b WHERE i.id = b.id
     RETURNING b.status`,
    [importId, organizationId ?? null],
  );
  return res.rows[0] ?? null;
}

/** processing past its time limit: the ids, locked, for end-import to end `timed_out`. */
export async function dueForTimeOut(tx: Queryable, maxSeconds: number): Promise<string[]> {
  const res = await tx.query<{ id: string }>(
    `SELECT id FROM imports WHERE status = 'processing' AND processing_started_at < now() - make_interval(secs => $1)
     ORDER BY processing_started_at FOR UPDATE SKIP LOCKED`,
    [maxSeconds],
  );
  return res.rows.map((r) => r.id);
}

/**
 * requested past its upload window: the ids, locked, for end-import to end `expired`. SKIP
 * LOCKED: a PUT finishing at this very moment holds the row; it wins or we do, never both (its
 * `queueUpload` requires status = 'requested'). The same for a review import whose file came
 * but which was never started (`reviewed`: true): `startReviewed` also requires `requested`.
 */
export async function dueForExpiry(tx: Queryable, limit: number): Promise<{ id: string; reviewed: boolean }[]> {
  const res = await tx.query<{ id: string; reviewed: boolean }>(
    `SELECT id, file_key IS NOT NULL AS reviewed FROM imports WHERE status = 'requested' AND upload_expires_at <= now()
     ORDER BY upload_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return res.rows;
}

/**
 * → a final status. Only end-import.ts calls this, as the last step of ending an import; it
 * refuses to change an import that is final already.
 */
export async function settle(tx: Queryable, importId: string, status: FinalStatus, reason: string | null, by?: string): Promise<boolean> {
  const res = await tx.query(
    // has_upload_file / has_errors_file are not touched here: the files are written (and the
    // flags set) by downloads/import-files.ts, so a flag is never true for a file that does not exist.
    `UPDATE imports SET status = $2, reason = $3, updated_by = coalesce($4, updated_by), updated_at = now(),
       lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $1 AND status NOT IN ${FINAL_STATUS_SQL}`,
    [importId, status, reason, by ?? null],
  );
  return res.rowCount > 0;
}

/** Attempts that ended without a result so far (takeovers and errors). */
export async function failureCount(db: Queryable, importId: string): Promise<number> {
  const res = await db.query<{ failures: number }>('SELECT failures FROM imports WHERE id = $1', [importId]);
  return res.rows[0]?.failures ?? 0;
}
