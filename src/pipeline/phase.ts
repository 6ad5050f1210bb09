import type { Config } from '../config.js';
import type { ImportRecord, Stats } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkedPhase } from './chunked-phase.js';
import type { Db, Queryable } from '../db/db.js';
import type { PhaseName } from './phase-list.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';

/** What a phase gets: the transaction its effect and its completion commit in together. */
export interface PhaseContext {
  tx: Queryable;
  imp: ImportRecord;
  def: ResourceDefinition;
  config: Readonly<Config>;
}

export interface PhaseOutcome {
  /** Rows in. */
  total: number;
  /** Rows this phase removed (each now has its row error). */
  error: number;
  /** Counters this phase sets on the import's stats. */
  stats?: Partial<Stats>;
  /** The phase had nothing to do for this action. */
  skipped?: boolean;
  /** Why a completed import did less than asked (e.g. a refused mass delete); ends up in `reason`. */
  reason?: string;
}

export type Phase = (ctx: PhaseContext) => Promise<PhaseOutcome>;

/**
 * What the runner needs to know of a phase: how its effect commits. It never looks at a
 * phase's name.
 *  - `whole`: the effect and the phase's completion commit in one transaction. `writesDownloads`:
 *    the download files are written from the working rows first, outside that transaction
 *    (page by page, so PGlite's one session is never held long), and recorded in it.
 *  - `ranges`: range by range, each range committed with the phase's cursor (chunked-phase.ts);
 *    the phase's `oneTransaction` may ask for all its ranges in one transaction on some engine
 *    (reported live, not committed), its `oneRange` for a single range for some action.
 *  - `batches`: the phase reads the rows in and commits them batch by batch with its progress,
 *    then completes itself (prevalidation: the rows come from the uploaded file here, from the
 *    request for a sync import, see imports/create-import.ts).
 */
export type PhaseDefinition =
  | { commits: 'whole'; run: Phase; writesDownloads?: boolean }
  | { commits: 'ranges'; run: ChunkedPhase }
  | { commits: 'batches'; run: (deps: RunDeps, imp: ImportRecord) => Promise<void> };

/** Where a run asks whether to stop: before a phase, and before each range of a ranged phase. */
export interface StopPoint {
  phase: PhaseName;
  /** The first row of the range about to run (none before the phase itself). */
  from?: number;
}

export interface RunDeps {
  db: Db;
  config: Readonly<Config>;
  /** Checked between phases; true when the worker is shutting down. */
  shouldStop?: (next: StopPoint) => boolean;
  /** Where uploaded files are read from and downloads are written to. */
  storage: Storage;
  /** Told of each phase a run completes, with its duration (operators see where time goes). */
  log?: Pick<Logger, 'info'>;
}

