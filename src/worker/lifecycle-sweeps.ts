import type { Db } from '../db/db.js';
import { closeOpenPhases, refreshStats } from '../imports/import-store.js';
import { writeImportFiles } from '../imports/import-files.js';
import { dropWorkingRows } from '../pipeline/working-rows.js';
import type { Storage } from '../storage/storage.js';

// Sweeps over the import lifecycle, run periodically by every worker (they are idempotent and
// safe to run concurrently):
//  - an import processing past the time limit ends `timed_out`; bumping its attempt fences out
//    the worker running it, whose phase then rolls back at its commit-time check;
//  - working rows of imports that ended while a worker held them (cancel, time-out) are dropped
//    once that worker has surely let go: after two leases.

/** Imports processing for longer than `maxSeconds` → timed_out. Returns their ids. */
export async function timeOutStaleImports(db: Db, maxSeconds: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    const res = await tx.query<{ id: string }>(
      `UPDATE imports SET status = 'timed_out', reason = 'timed_out: processing ran past ' || $1::int || ' seconds; the running phase was rolled back',
         attempt = attempt + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE status = 'processing' AND processing_started_at < now() - make_interval(secs => $1)
       RETURNING id`,
      [maxSeconds],
    );
    for (const { id } of res.rows) {
      await closeOpenPhases(tx, id);
      await refreshStats(tx, id);
    }
    return res.rows.map((r) => r.id);
  });
}

/** Drops the working rows of final imports whose worker has had `graceSeconds` to let go. */
export async function dropAbandonedWorkingRows(db: Db, graceSeconds: number, storage?: Storage): Promise<number> {
  // The imports that have working rows, found by skipping through the primary key one import
  // at a time: a handful of index probes however many rows are staged. (An EXISTS per final
  // import was planned as a scan of all staged rows per import, seconds per sweep at 1M rows.)
  const res = await db.query<{ id: string }>(
    `WITH RECURSIVE staged AS (
       (SELECT r.import_id FROM import_rows r ORDER BY r.import_id LIMIT 1)
       UNION ALL
       SELECT (SELECT r.import_id FROM import_rows r WHERE r.import_id > s.import_id ORDER BY r.import_id LIMIT 1)
       FROM staged s WHERE s.import_id IS NOT NULL
     )
     SELECT i.id FROM imports i JOIN staged s ON s.import_id = i.id
     WHERE i.status IN ('completed', 'failed', 'timed_out', 'expired') AND i.updated_at < now() - make_interval(secs => $1)`,
    [graceSeconds],
  );
  for (const { id } of res.rows) {
    await db.transaction(async (tx) => {
      await writeImportFiles(tx, storage, id);
      await dropWorkingRows(tx, id);
    });
  }
  return res.rowCount;
}
