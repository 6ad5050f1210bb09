import type { Db } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import { endImport, releaseWorkingRows } from '../lifecycle/end-import.js';
import { FINAL_STATUS_SQL, dueForTimeOut, seize } from '../lifecycle/transitions.js';
import type { Storage } from '../storage/storage.js';

// Sweeps over the import lifecycle, run periodically by every worker (they are idempotent and
// safe to run concurrently):
//  - an import processing past the time limit ends `timed_out`; bumping its attempt fences out
//    the worker running it, whose phase then rolls back at its commit-time check;
//  - working rows of imports that ended while a worker held them (cancel, time-out) are dropped
//    once that worker has surely let go: after two leases.

/** Imports processing for longer than `maxSeconds` → timed_out. Returns their ids. */
export async function timeOutStaleImports(db: Db, maxSeconds: number, storage: Storage): Promise<string[]> {
  return db.transaction(async (tx) => {
    const due = await dueForTimeOut(tx, maxSeconds);
    const failure = new ImportFailure('timed_out', `processing ran past ${maxSeconds} seconds; the running phase was rolled back`);
    for (const id of due) {
      await seize(tx, id); // fences out the worker running it: the attempt moves on
      await endImport(tx, id, { status: 'timed_out', failure }, { storage, rows: 'held' });
    }
    return due;
  });
}

/** Drops the working rows of final imports whose worker has had `graceSeconds` to let go. */
export async function dropAbandonedWorkingRows(db: Db, graceSeconds: number, storage: Storage): Promise<number> {
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
     WHERE i.status IN ${FINAL_STATUS_SQL} AND i.updated_at < now() - make_interval(secs => $1)`,
    [graceSeconds],
  );
  for (const { id } of res.rows) await releaseWorkingRows(db, id, storage);
  return res.rowCount;
}
