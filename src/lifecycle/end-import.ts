import type { Db, Queryable } from '../db/db.js';
import { isFinal, type FinalStatus, type ImportStatus } from '../domain/import.js';
import { writeImportFiles } from '../downloads/import-files.js';
import type { ImportFailure } from '../errors.js';
import { dropWorkingRows } from '../staging/working-rows.js';
import { undoUnfinishedProcessing } from '../staging/undo-processing.js';
import type { Storage } from '../storage/storage.js';
import { countUndecidedRows, recordFiles, refreshStats } from './import-facts.js';
import { closeOpenPhases } from './phase-progress.js';
import { analyzeWhatImportWrote } from './analyze-written.js';
import { findImportById } from './import-record.js';
import { settle } from './transitions.js';
import { endingEventType } from '../domain/webhook-events.js';
import { enqueueEndingEvent } from './webhook-outbox.js';

// The one way an import ends — completed, failed, canceled, timed out or expired, whoever ends
// it (the worker that ran it, a cancel request, a sweep, a sync create, an upload whose
// checksum is wrong). Always these steps, in this order, in the caller's transaction:
//
//  1. undo what an unfinished processing phase committed (PGlite's ranges: undo-processing.ts),
//     before anything is read from the working rows;
//  2. close the open phases: the one running `failed`, the rest `skipped`;
//  3. write the download files from the working rows (the errors file of a failed import too);
//  4. drop the working rows;
//  5. recount the stats (unless completed, count the rows left undecided; if completed and
//     large, ANALYZE what it wrote: analyze-written.ts);
//  6. set the final status, and write its webhook event to the outbox (webhook-outbox.ts).
//
// Steps 3 and 4 depend on who holds the working rows (`rows`):
//  - 'here': the caller does; both run in this transaction.
//  - 'written': a worker completing its import wrote the files page by page before this
//    transaction and drops the rows range by range after it (runImport), so that neither holds
//    PGlite's one session for long; if it dies in between, the sweep below finishes the job.
//  - 'held': a worker is mid-phase on them (cancel or time-out of a processing import). Its
//    phase rolls back at its commit-time fence; then it, or failing that the abandoned-rows
//    sweep, runs `releaseWorkingRows`. Waiting for its row locks here could deadlock.

export type Ending =
  | { status: 'completed'; reason: string | null }
  | { status: Exclude<FinalStatus, 'completed'>; failure: ImportFailure };

export interface EndOptions {
  storage: Storage;
  rows: 'here' | 'written' | 'held';
  /** The API key that ended it (cancel), recorded as updated_by. */
  by?: string;
}

/** Ends the import; false (and nothing changed) when it was final already. */
export async function endImport(tx: Queryable, importId: string, ending: Ending, opts: EndOptions): Promise<boolean> {
  const now = await tx.query<{ status: ImportStatus }>('SELECT status FROM imports WHERE id = $1 FOR UPDATE', [importId]);
  const status = now.rows[0]?.status;
  if (!status || isFinal(status)) return false;
  await undoUnfinishedProcessing(tx, importId);
  await closeOpenPhases(tx, importId);
  if (opts.rows === 'here') {
    await recordFiles(tx, importId, await writeImportFiles(tx, opts.storage, importId));
    await dropWorkingRows(tx, importId);
  }
  await refreshStats(tx, importId);
  if (ending.status !== 'completed') await countUndecidedRows(tx, importId);
  else await analyzeWhatImportWrote(tx, (await findImportById(tx, importId))!);
  const settled = await settle(tx, importId, ending.status, ending.status === 'completed' ? ending.reason : ending.failure.reason, opts.by);
  if (settled) await enqueueEndingEvent(tx, importId, endingEventType(ending.status, ending.status === 'completed' ? null : ending.failure.code));
  return settled;
}

/**
 * Steps 3 and 4 for an import that ended while a worker held its working rows: run by that
 * worker once it finds itself fenced out, by the completing worker if it died before dropping
 * them, or by the abandoned-rows sweep. A no-op unless the import is final.
 */
export async function releaseWorkingRows(db: Db, importId: string, storage: Storage): Promise<void> {
  await db.transaction(async (tx) => {
    const res = await tx.query<{ status: ImportStatus }>('SELECT status FROM imports WHERE id = $1', [importId]);
    const status = res.rows[0]?.status;
    if (!status || !isFinal(status)) return;
    await recordFiles(tx, importId, await writeImportFiles(tx, storage, importId));
    await dropWorkingRows(tx, importId);
  });
}
