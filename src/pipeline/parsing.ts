import type { ChunkedPhase } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { analyzeWorkingRows } from '../staging/working-rows.js';

// Phase 4, parsing: rows resolved to the same record id are duplicates (they named it by
// different keys), handled per duplicate_handling. Then rows that would give the same
// external_id to different records are duplicates too, since external_id is unique per
// organization and one of them would otherwise fail the whole batch. Range by range on PGlite
// (the second pass starts once the first has seen every row); on PostgreSQL each pass is one
// statement over the file, committed on its own (see preparsing.ts).
export const parsing: ChunkedPhase = {
  passes: [
    (ctx) => removeDuplicates(ctx, 'record'),
    async (ctx) => (ctx.imp.action === 'delete' ? { removed: 0 } : removeDuplicates(ctx, 'external_id')),
  ],
  // Transforming has just filled import_row_ids; this and validation look rows up in it.
  prepare: ({ tx }) => analyzeWorkingRows(tx, 'import_row_ids'),
  wholePasses: (engine) => engine !== 'pglite',
};

/** The duplicate rules of each pass, for the action (sql:print). */
export const parsingKinds = (action: string) => (action === 'delete' ? (['record'] as const) : (['record', 'external_id'] as const));
