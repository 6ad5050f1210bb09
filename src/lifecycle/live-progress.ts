import type { Db, Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';

// How far a running phase has got in work done, before that work commits (import_phase_live,
// migration 0018). A phase that must commit whole (processing on PostgreSQL) works range by
// range inside its one transaction; its own counters (import_phases) only move when it commits,
// so each range is also reported here, from another connection, to show the count moving.
// Readers (imports/import-store.ts) show the larger of the two counts while the phase runs.
//
// Rules that keep "a phase commits whole" recovery honest:
//  - the phase's transaction never writes this table, and a report only UPDATEs a row the
//    phase's start created (no foreign-key check, so no lock on the import row): a report can
//    never wait for the phase, nor the phase for a report;
//  - the phase's start (markPhaseRunning) resets the row, so a phase resumed after a crash
//    counts again from what it had committed, not from what the dead run had done;
//  - a report carries the attempt number: a worker that lost the import reports nothing.

/** Sets the phase's live count back to nothing (its committed count is what stands). */
export async function resetLiveProgress(tx: Queryable, importId: string, position: number): Promise<void> {
  await tx.query(
    `INSERT INTO import_phase_live (import_id, position, processed) VALUES ($1, $2, 0)
     ON CONFLICT (import_id, position) DO UPDATE SET processed = 0, updated_at = clock_timestamp()`,
    [importId, position],
  );
}

/** At most one report per this many milliseconds: a reader polls no faster than that. */
export const LIVE_REPORT_MS = 250;

export interface LiveProgress {
  /** Rows of the phase done so far. Written soon, never waited for; a failed write is dropped. */
  report(processed: number): void;
  /** Waits for the write in flight, if any (before the phase ends, so none outlives it). */
  settle(): Promise<void>;
}

const NOTHING: LiveProgress = { report() {}, async settle() {} };

/**
 * A reporter for one phase of one import. `insideTransaction`: the work runs inside a
 * transaction; on PGlite a report would then wait for the only session, i.e. for the phase to
 * end, so it reports nothing there (PGlite's phases commit range by range anyway, except a
 * delete's processing).
 */
export function liveProgress(db: Db, imp: Pick<ImportRecord, 'id' | 'attempt'>, position: number, opts: { insideTransaction: boolean }): LiveProgress {
  if (opts.insideTransaction && db.engine === 'pglite') return NOTHING;
  let inFlight: Promise<void> | null = null;
  let latest = -1;
  let written = -1;
  let lastAt = 0;
  const write = () => {
    lastAt = performance.now();
    const value = latest;
    inFlight = db
      .query(
        `UPDATE import_phase_live SET processed = $3::int, updated_at = clock_timestamp()
         WHERE import_id = $1 AND position = $2 AND processed <> $3::int
           AND EXISTS (SELECT 1 FROM imports WHERE id = $1 AND attempt = $4 AND status = 'processing')`,
        [imp.id, position, value, imp.attempt],
      )
      .then(
        () => {
          written = value;
        },
        () => undefined, // progress is a display: the phase goes on, the next report tries again
      )
      .finally(() => {
        inFlight = null;
      });
  };
  return {
    report(processed) {
      latest = processed;
      if (inFlight || latest === written || performance.now() - lastAt < LIVE_REPORT_MS) return;
      write();
    },
    async settle() {
      await inFlight;
    },
  };
}
