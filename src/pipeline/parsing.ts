import type { ChunkedPhase } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { analyzeWorkingRows, sqlLiteral } from '../staging/working-rows.js';

// Phase 4, parsing: rows resolved to the same record id are duplicates (they named it by
// different keys), handled per duplicate_handling. Then rows that would give the same
// external_id to different records are duplicates too, since external_id is unique per
// organization and one of them would otherwise fail the whole batch. Range by range on PGlite
// (the second pass starts once the first has seen every row), one statement each on PostgreSQL.
export const parsing: ChunkedPhase = {
  passes: [
    (ctx) =>
      removeDuplicates(ctx, {
        phase: 'parsing',
        resolved: true,
        groupBy: 'i.record_id',
        field: `NULL::text`,
        describe: `'resolves to the same ' || ${sqlLiteral(ctx.def.name)} || ' (' || d.grp || ')'`,
        own: `e.phase = 'parsing'`,
      }),
    async (ctx) =>
      ctx.imp.action === 'delete'
        ? { removed: 0 }
        : removeDuplicates(ctx, {
            phase: 'parsing',
            groupBy: `(r.vals ->> 'external_id')`,
            field: `'external_id'`,
            describe: `'sets external_id "' || d.grp || '", the same'`,
            // The first pass's errors have no field; they do take rows out of these groups.
            own: `e.phase = 'parsing' AND e.field = 'external_id'`,
          }),
  ],
  // Transforming has just filled import_row_ids; this and validation look rows up in it.
  prepare: ({ tx }) => analyzeWorkingRows(tx, 'import_row_ids'),
  oneRange: (_imp, engine) => engine !== 'pglite',
};
