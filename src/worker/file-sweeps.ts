import type { Db } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import { importFilesPrefix } from '../downloads/import-files.js';
import { endImport } from '../lifecycle/end-import.js';
import { recordFilesPurged } from '../lifecycle/import-facts.js';
import { dueForExpiry, FINAL_STATUS_SQL } from '../lifecycle/transitions.js';
import type { Storage } from '../storage/storage.js';

// Periodic sweeps over files (run by every worker loop; safe to run from several at once):
//  - an import still `requested` when its upload window closes becomes `expired` (SPEC §5), and
//    so does a review import whose file came but which nobody started within the window after;
//  - RETENTION_DAYS after an import finished, its files are deleted and has_upload_file /
//    has_errors_file turn false (a download URL minted before then answers 404).

const BATCH = 100;

/** Ends imports whose upload URL expired without a file; returns how many. */
export async function expireUploads(db: Db, storage: Storage): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const due = await dueForExpiry(tx, BATCH);
      for (const { id, reviewed } of due) {
        const failure = reviewed
          ? new ImportFailure('expired', 'the file was uploaded for review but the import was never started (POST /v1/imports/{id}/start) before its window closed')
          : new ImportFailure('expired');
        await endImport(tx, id, { status: 'expired', failure }, { storage, rows: 'here' });
      }
      return due.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}

/** Deletes the files of imports that finished more than `retentionDays` ago; returns how many. */
export async function sweepRetention(db: Db, storage: Storage, retentionDays: number): Promise<number> {
  let total = 0;
  for (;;) {
    const due = await db.query<{ id: string; organization_id: string }>(
      `SELECT id, organization_id FROM imports
       WHERE files_purged_at IS NULL AND status IN ${FINAL_STATUS_SQL}
         AND updated_at < now() - make_interval(days => $1)
       ORDER BY updated_at LIMIT $2`,
      [retentionDays, BATCH],
    );
    for (const imp of due.rows) {
      // Files first, flags after: a crash in between leaves flags that the next sweep fixes,
      // never a file nobody will delete. The whole prefix goes, strays of failed uploads too.
      await storage.deletePrefix(importFilesPrefix(imp));
      await recordFilesPurged(db, imp.id);
    }
    total += due.rows.length;
    if (due.rows.length < BATCH) return total;
  }
}

export async function runFileSweeps(db: Db, storage: Storage, retentionDays: number): Promise<{ expired: number; purged: number }> {
  const expired = await expireUploads(db, storage);
  const purged = await sweepRetention(db, storage, retentionDays);
  return { expired, purged };
}
