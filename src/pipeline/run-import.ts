import type { Config } from '../config.js';
import { crashPoint } from '../crash-points.js';
import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';
import { writeImportFiles, type WrittenFiles } from '../downloads/import-files.js';
import { endImport } from '../lifecycle/end-import.js';
import { fence, Released } from '../lifecycle/fencing.js';
import { recordFiles, refreshStats } from '../lifecycle/import-facts.js';
import { liveProgress } from '../lifecycle/live-progress.js';
import { completePhase, markPhaseRunning, phaseStatuses, phaseTotal } from '../lifecycle/phase-progress.js';
import { getResource } from '../resources/index.js';
import { countLiveRows, dropWorkingRowsInRanges, planForImport } from '../staging/working-rows.js';
import { chunkRowsFor, finishPasses, rangeSizesFor, runPasses, runWhole } from './chunked-phase.js';
import type { PhaseDefinition, PhaseOutcome, RunDeps } from './phase.js';
import { phasesFor, type PhaseName } from './phase-list.js';

export { fence, LostLease, Released } from '../lifecycle/fencing.js';

// Runs the phases an import has not completed yet, in the order of the phase list, each the
// way its definition says it commits (phase.ts, PhaseDefinition): whole, range by range, or
// batch by batch. Either way a run that dies resumes where the last commit left it, and
// nothing is applied twice or half. Every transaction first checks the attempt number
// (fencing): a worker that lost its lease changes nothing. The last phase's transaction also
// completes the import (end-import.ts).

export type { RunDeps, StopPoint } from './phase.js';

export async function runImport(deps: RunDeps, imp: ImportRecord): Promise<void> {
  const { db } = deps;
  await fence(db, imp, 'check');
  const statuses = await phaseStatuses(db, imp.id);
  const PHASES = phasesFor(imp);
  for (let position = 0; position < PHASES.length; position++) {
    const status = statuses[position];
    if (status === 'completed' || status === 'skipped') continue;
    const name = PHASES[position]!.name;
    if (deps.shouldStop?.({ phase: name })) throw new Released(imp.id);
    const started = performance.now();
    await runPhase(deps, imp, position, position === PHASES.length - 1);
    deps.log?.info({ import: imp.id, phase: name, ms: Math.round(performance.now() - started) }, 'phase completed');
  }
  // The import is complete; its working rows go now, range by range.
  await dropWorkingRowsInRanges(db, imp.id, chunkRowsFor(db, deps.config));
}

async function runPhase(deps: RunDeps, imp: ImportRecord, position: number, last: boolean): Promise<void> {
  const { db, config } = deps;
  const phase: PhaseDefinition & { name: PhaseName } = phasesFor(imp)[position]!;
  const name = phase.name;
  if (phase.commits === 'batches') return phase.run(deps, imp);

  const def = getResource(imp.resource);
  await db.transaction(async (tx) => {
    await fence(tx, imp);
    await markPhaseRunning(tx, imp.id, position, await countLiveRows(tx, imp.id));
  });
  // A phase with ranges commits range by range, unless it must be one transaction here; then
  // its ranges are reported live, not committed (chunked-phase.ts).
  const chunked = phase.commits === 'ranges' ? phase.run : null;
  const split = chunked !== null && !chunked.oneRange?.(imp);
  const ranged = split && !chunked.oneTransaction?.(imp, db.engine);
  if (ranged) await runPasses(deps, { imp, def, config }, position, name, chunked);
  // SPEC §6: the downloads are written from the working rows, which nothing changes any more,
  // page by page outside a transaction; a run that dies after writes them again. Most of the
  // phase's time: reported live, as the share of the rows written.
  let files: WrittenFiles | null = null;
  if (phase.commits === 'whole' && phase.writesDownloads) {
    const live = liveProgress(db, imp, position, { insideTransaction: false });
    const total = await phaseTotal(db, imp.id, position);
    files = await writeImportFiles(db, deps.storage, imp.id, (done, of) => live.report(Math.min(total, Math.round((total * done) / Math.max(of, 1)))));
    await live.settle();
  }
  await db.transaction(async (tx) => {
    await fence(tx, imp, 'check');
    await planForImport(tx, config.worker.workMem);
    const ctx = { tx, imp, def, config };
    let out: PhaseOutcome;
    if (phase.commits === 'whole') out = await phase.run(ctx);
    else if (ranged) out = await finishPasses(ctx, position);
    else {
      const live = liveProgress(db, imp, position, { insideTransaction: true });
      out = await runWhole(ctx, position, phase.run, split ? { sizes: rangeSizesFor(db, config), live } : {});
      await live.settle();
    }
    await fence(tx, imp, 'lock');
    crashPoint(`${name}:before-commit`);
    await completePhase(tx, imp.id, position, out, out.skipped ? 'skipped' : 'completed');
    await refreshStats(tx, imp.id, out.stats);
    if (files) await recordFiles(tx, imp.id, files);
    if (last) await endImport(tx, imp.id, { status: 'completed', reason: out.reason ?? null }, { storage: deps.storage, rows: 'written' });
  });
  crashPoint(`${name}:after-commit`);
}

/**
 * A phase run inside the caller's transaction, as one range: how a sync import runs its upload
 * phases after prevalidation (preparsing) in the request that creates it (imports/create-import.ts).
 */
export async function runPhaseWithin(tx: Queryable, config: Readonly<Config>, imp: ImportRecord, position: number): Promise<void> {
  const phase: PhaseDefinition & { name: PhaseName } = phasesFor(imp)[position]!;
  if (phase.commits === 'batches') throw new Error(`phase ${position} reads its own rows; it cannot run inside a transaction`);
  const ctx = { tx, imp, def: getResource(imp.resource), config };
  await markPhaseRunning(tx, imp.id, position, await countLiveRows(tx, imp.id));
  const out = phase.commits === 'whole' ? await phase.run(ctx) : await runWhole(ctx, position, phase.run);
  await completePhase(tx, imp.id, position, out, out.skipped ? 'skipped' : 'completed');
  await refreshStats(tx, imp.id, out.stats);
}
