import { noValidRowsFailure } from './no-valid-rows.js';
import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { recordScopeCount } from './overwrite-scope.js';
import { processDeletes } from './process-deletes.js';
import { processUpserts } from './process-upserts.js';
import { statementParams } from './statement-params.js';
import { countLiveRows } from '../staging/working-rows.js';

// Phase 6, processing: merge and overwrite write the rows' records (process-upserts.ts), delete
// removes them (process-deletes.ts).
//
// SPEC §3 wants the phase all or nothing. On PostgreSQL it is one transaction (readers are not
// blocked by it), worked through range by range so that its progress shows (reported live,
// lifecycle/live-progress.ts). On PGlite, whose one session a long transaction would take from
// the API for seconds, merge and overwrite commit range by range instead: there only one
// import runs at a time, so an import that stops before finishing the phase can undo the
// ranges it committed exactly, from its events (undo-processing.ts). Deletes stay one
// statement set over all rows, in one transaction, everywhere: a deleted record's events could
// not give back its created_at, and removeRecords runs once per transaction.
export const processing: ChunkedPhase = {
  passes: [processRange],
  oneTransaction: (_imp, engine) => engine !== 'pglite',
  oneRange: (imp) => imp.action === 'delete',
};

async function processRange(ctx: ChunkContext): Promise<RangeOutcome> {
  const { tx, imp, def, from } = ctx;
  if (from === 1) {
    // SPEC §5: an import none of whose rows survived the checks fails (an overwrite of nothing
    // must not go on to delete everything).
    if ((await countLiveRows(tx, imp.id)) === 0) throw await noValidRowsFailure(tx, imp.id, 'no row passed every check');
    if (imp.action === 'overwrite') await recordScopeCount(tx, def, statementParams(imp));
  }
  return imp.action === 'delete' ? processDeletes(ctx) : processUpserts(ctx);
}
