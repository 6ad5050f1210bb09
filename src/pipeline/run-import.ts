import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import {
  closeOpenPhases,
  completePhase,
  finishImport,
  markPhaseRunning,
  phaseStatuses,
  refreshStats,
} from '../imports/import-store.js';
import type { ImportRecord } from '../imports/import-types.js';
import { writeImportFiles } from '../imports/import-files.js';
import { getResource } from '../resources/index.js';
import type { Storage } from '../storage/storage.js';
import { crashPoint } from '../worker/crash-points.js';
import type { Logger } from '../worker/runner.js';
import { cleanup } from './cleanup.js';
import { parsing } from './parsing.js';
import type { Phase } from './phase.js';
import { PHASES, type PhaseName } from './phases.js';
import { preparsing } from './preparsing.js';
import { processing } from './processing.js';
import { transforming } from './transforming.js';
import { validation } from './validation.js';
import { countLiveRows, dropWorkingRows, planForImport } from './working-rows.js';

// Runs the phases an import has not completed yet, in order. Each phase's effect and its
// completion commit in one transaction, so a run that dies resumes at the first incomplete
// phase and no phase is ever half applied. Every transaction first checks the attempt number
// (fencing): a worker that lost its lease changes nothing.

const WORKER_PHASES: Partial<Record<PhaseName, Phase>> = {
  preparsing,
  transforming,
  parsing,
  validation,
  processing,
  cleanup,
};

export class LostLease extends Error {
  constructor(importId: string, attempt: number) {
    super(`import ${importId}: attempt ${attempt} no longer holds the lease`);
    this.name = 'LostLease';
  }
}

/**
 * Fencing. `check` is a plain read at the start of a transaction (skip work already lost);
 * `lock` takes the import row FOR UPDATE just before a phase commits, so a cancel or a lease
 * takeover that committed meanwhile rolls the whole phase back. Taking the row lock last keeps
 * the lock order (working rows, then the import) the same everywhere, so a cancel never
 * deadlocks with a running phase.
 */
export async function fence(tx: Queryable, imp: Pick<ImportRecord, 'id' | 'attempt'>, mode: 'check' | 'lock' = 'lock'): Promise<void> {
  const res = await tx.query(
    `SELECT 1 FROM imports WHERE id = $1 AND attempt = $2 AND status = 'processing'${mode === 'lock' ? ' FOR UPDATE' : ''}`,
    [imp.id, imp.attempt],
  );
  if (res.rowCount === 0) throw new LostLease(imp.id, imp.attempt);
}

/** The worker is shutting down: the import goes back to the queue after its current phase. */
export class Released extends Error {
  constructor(importId: string) {
    super(`import ${importId}: released to the queue by a worker shutting down`);
    this.name = 'Released';
  }
}

export interface RunDeps {
  db: Db;
  config: Readonly<Config>;
  /** Checked between phases; true when the worker is shutting down. */
  shouldStop?: () => boolean;
  /** Where uploaded files are read from and downloads are written to. */
  storage?: Storage;
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
    if (deps.shouldStop?.()) throw new Released(imp.id);
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
    await db.transaction(async (tx) => {
      await fence(tx, imp, 'check');
      await planForImport(tx, config.worker.workMem);
      // SPEC §6: cleanup writes the downloads; here, in cleanup's own transaction, before the
      // phase drops the working rows they are written from (and cleanup.ts stays about records).
      if (name === 'cleanup') await writeImportFiles(tx, deps.storage, imp.id);
      const out = await phase({ tx, imp, def, config });
      await fence(tx, imp, 'lock');
      crashPoint(`${name}:before-commit`);
      await completePhase(tx, imp.id, position, out, out.skipped ? 'skipped' : 'completed');
      await refreshStats(tx, imp.id, out.stats);
      if (position === PHASES.length - 1) await finishImport(tx, imp.id, 'completed', out.reason ?? null);
    });
    crashPoint(`${name}:after-commit`);
    done();
  }
}

/**
 * Ends an import as failed (or timed out): closes its phases, writes its errors file (when given
 * the storage) and drops its working rows.
 */
export async function failImport(
  tx: Queryable,
  importId: string,
  failure: ImportFailure,
  status: 'failed' | 'timed_out' | 'expired' = 'failed',
  storage?: Storage,
): Promise<void> {
  await writeImportFiles(tx, storage, importId);
  await closeOpenPhases(tx, importId);
  await dropWorkingRows(tx, importId);
  await refreshStats(tx, importId);
  await finishImport(tx, importId, status, failure.reason);
}
