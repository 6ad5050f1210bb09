import type { Config } from '../config.js';
import { fence, Released } from '../lifecycle/fencing.js';
import type { Db } from '../db/db.js';
import { endImport } from '../lifecycle/end-import.js';
import { recordFiles, refreshStats } from '../lifecycle/import-facts.js';
import { completePhase, markPhaseRunning, phaseStatuses } from '../lifecycle/phase-progress.js';
import type { ImportRecord } from '../domain/import.js';
import { writeImportFiles } from '../downloads/import-files.js';
import { getResource } from '../resources/index.js';
import type { Storage } from '../storage/storage.js';
import { crashPoint } from '../crash-points.js';
import type { Logger } from '../logger.js';
import { chunkRowsFor, finishPasses, runPasses, runWhole, type ChunkedPhase } from './chunked-phase.js';
import { cleanup } from './cleanup.js';
import { parsing } from './parsing.js';
import type { Phase } from './phase.js';
import { PHASES, type PhaseName } from '../domain/phases.js';
import { preparsing } from './preparsing.js';
import { processing } from './processing.js';
import { transforming } from './transforming.js';
import { validation } from './validation.js';
import { countLiveRows, dropWorkingRowsInRanges, planForImport } from '../staging/working-rows.js';

export { fence, LostLease, Released } from '../lifecycle/fencing.js';

// Runs the phases an import has not completed yet, in order. A phase's effect commits with its
// completion in one transaction, or range by range, each range with the phase's cursor
// (chunked-phase.ts); either way a run that dies resumes where the last commit left it, and
// nothing is applied twice or half. Every transaction first checks the attempt number
// (fencing): a worker that lost its lease changes nothing.

const WORKER_PHASES: Partial<Record<PhaseName, Phase | ChunkedPhase>> = {
  preparsing,
  transforming,
  parsing,
  validation,
  processing,
  cleanup,
};

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
  /** Runs prevalidation of an async import (reading its file), batch by batch. */
  prevalidateUpload?: (imp: ImportRecord) => Promise<void>;
  /** Told of each phase a run completes, with its duration (operators see where time goes). */
  log?: Pick<Logger, 'info'>;
}

export async function runImport(deps: RunDeps, imp: ImportRecord): Promise<void> {
  const { db, config } = deps;
  const def = getResource(imp.resource);
  await fence(db, imp, 'check');
  const statuses = await phaseStatuses(db, imp.id);
  for (let position = 0; position < PHASES.length; position++) {
    const status = statuses[position];
    if (status === 'completed' || status === 'skipped') continue;
    if (deps.shouldStop?.({ phase: PHASES[position]!.name })) throw new Released(imp.id);
    const name = PHASES[position]!.name;
    const started = performance.now();
    const done = () => deps.log?.info({ import: imp.id, phase: name, ms: Math.round(performance.now() - started) }, 'phase completed');
    if (name === 'prevalidation') {
      if (!deps.prevalidateUpload) throw new Error(`import ${imp.id}: no reader for uploaded files is configured`);
      await deps.prevalidateUpload(imp);
      done();
      continue;
    }
    const phase = WORKER_PHASES[name]!;
    await db.transaction(async (tx) => {
      await fence(tx, imp);
      await markPhaseRunning(tx, imp.id, position, await countLiveRows(tx, imp.id));
    });
    // A phase with passes runs range by range, unless it must be one transaction here.
    const ranged = typeof phase !== 'function' && !phase.oneRange?.(imp, db.engine);
    if (ranged) await runPasses(deps, { imp, def, config }, position, name, phase);
    // SPEC §6: cleanup writes the downloads (from the working rows, which nothing changes any
    // more), page by page outside a transaction; a run that dies after writes them again.
    const files = name === 'cleanup' ? await writeImportFiles(db, deps.storage, imp.id) : null;
    await db.transaction(async (tx) => {
      await fence(tx, imp, 'check');
      await planForImport(tx, config.worker.workMem);
      const ctx = { tx, imp, def, config };
      const out =
        typeof phase === 'function' ? await phase(ctx) : ranged ? await finishPasses(ctx, position) : await runWhole(ctx, position, phase);
      await fence(tx, imp, 'lock');
      crashPoint(`${name}:before-commit`);
      await completePhase(tx, imp.id, position, out, out.skipped ? 'skipped' : 'completed');
      await refreshStats(tx, imp.id, out.stats);
      if (files) await recordFiles(tx, imp.id, files);
      if (position === PHASES.length - 1) {
        await endImport(tx, imp.id, { status: 'completed', reason: out.reason ?? null }, { storage: deps.storage, rows: 'written' });
      }
    });
    crashPoint(`${name}:after-commit`);
    done();
  }
  // The import is complete; its working rows go now, range by range.
  await dropWorkingRowsInRanges(db, imp.id, chunkRowsFor(db, config));
}
