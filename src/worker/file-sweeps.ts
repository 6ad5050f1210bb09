import type { Db } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import { importFilesPrefix } from '../imports/import-files.js';
import { failImport } from '../pipeline/run-import.js';
import type { Storage } from '../storage/storage.js';

// Periodic sweeps over files (run by every worker loop; safe to run from several at once):
//  - an import still `requested` when its upload window closes becomes `expired` (SPEC §5);
//  - RETENTION_DAYS after an import finished, its files are deleted and has_upload_file /
//    has_errors_file turn false (a download URL minted before then answers 404).

const BATCH = 100;

/** Ends imports whose upload URL expired without a file; returns how many. */
export async function expireUploads(db: Db): Promise<number> {
  let total = 0;
  for (;;) {
    // SKIP LOCKED: a PUT finishing at this very moment holds the row; it wins or we do, never both
    // (its conditional UPDATE requires status = 'requested').
    const n = await db.transaction(async (tx) => {
      const due = await tx.query<{ id: string }>(
        `SELECT id FROM imports WHERE status = 'requested' AND upload_expires_at <= now()
         ORDER BY upload_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      for (const { id } of due.rows) await failImport(tx, id, new ImportFailure('expired'), 'expired');
      return due.rows.length;
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
       WHERE files_purged_at IS NULL AND status IN ('completed', 'failed', 'timed_out', 'expired')
         AND updated_at < now() - make_interval(days => $1)
       ORDER BY updated_at LIMIT $2`,
      [retentionDays, BATCH],
    );
    for (const imp of due.rows) {
      // Files first, flags after: a crash in between leaves flags that the next sweep fixes,
      // never a file nobody will delete. The whole prefix goes, strays of failed uploads too.
      await storage.deletePrefix(importFilesPrefix(imp));
      await db.query('UPDATE imports SET has_upload_file = false, has_errors_file = false, files_purged_at = now() WHERE id = $1', [imp.id]);
    }
    total += due.rows.length;
    if (due.rows.length < BATCH) return total;
  }
}

export async function runFileSweeps(db: Db, storage: Storage, retentionDays: number): Promise<{ expired: number; purged: number }> {
  const expired = await expireUploads(db);
  const purged = await sweepRetention(db, storage, retentionDays);
  return { expired, purged };
}
