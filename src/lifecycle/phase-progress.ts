import type { Queryable } from '../db/db.js';
import type { PhaseStatus } from '../domain/phases.js';
import { resetLiveProgress } from './live-progress.js';

// How far each phase of an import got (`import_phases`). A phase's counters commit with its
// effect: a range with the range, a whole phase with its completion. Work done but not yet
// committed is shown through live-progress.ts, which a phase's (re)start resets.

export async function phaseStatuses(db: Queryable, importId: string): Promise<PhaseStatus[]> {
  const res = await db.query<{ status: PhaseStatus }>('SELECT status FROM import_phases WHERE import_id = $1 ORDER BY position', [importId]);
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
  await resetLiveProgress(tx, importId, position);
}

/** The rows the phase started with (markPhaseRunning). */
export async function phaseTotal(db: Queryable, importId: string, position: number): Promise<number> {
  const res = await db.query<{ total: number }>('SELECT total FROM import_phases WHERE import_id = $1 AND position = $2', [importId, position]);
  return res.rows[0]?.total ?? 0;
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
 * Phases not yet done are marked skipped (the import ended before them) or failed (the one that
 * was running). Only end-import.ts calls this, after undoing what the running phase committed.
 */
export async function closeOpenPhases(tx: Queryable, importId: string): Promise<void> {
  await tx.query(
    `UPDATE import_phases SET
       status = CASE WHEN status = 'running' THEN 'failed' ELSE 'skipped' END,
       completed_at = CASE WHEN status = 'running' THEN clock_timestamp() ELSE completed_at END
     WHERE import_id = $1 AND status IN ('pending', 'running')`,
    [importId],
  );
}
