import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { analyzeWorkingRows, sqlLiteral } from './working-rows.js';

// Phase 4, parsing: rows resolved to the same record id are duplicates (they named it by
// different keys), handled per duplicate_handling. Then rows that would give the same
// external_id to different records are duplicates too, since external_id is unique per
// organization and one of them would otherwise fail the whole batch. Range by range on PGlite
// (the second pass starts once the first has seen every row), one statement each on PostgreSQL.
export const parsing: ChunkedPhase = {
  passes: [removeSameRecord, removeSameExternalId],
  // Transforming has just filled import_row_ids; this and validation look rows up in it.
  prepare: ({ tx }) => analyzeWorkingRows(tx, 'import_row_ids'),
  oneRange: (_imp, engine) => engine !== 'pglite',
};

async function removeSameRecord({ tx, imp, def, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  const removed = await removeDuplicates(
    tx,
    imp.id,
    imp.duplicate_handling,
    {
      phase: 'parsing',
      resolved: true,
      groupBy: 'i.record_id',
      field: `NULL::text`,
      describe: `'resolves to the same ' || ${sqlLiteral(def.name)} || ' (' || d.grp || ')'`,
      own: `e.phase = 'parsing'`,
    },
    { from, to, ranged },
  );
  return { removed };
}

async function removeSameExternalId({ tx, imp, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  if (imp.action === 'delete') return { removed: 0 };
  const removed = await removeDuplicates(
    tx,
    imp.id,
    imp.duplicate_handling,
    {
      phase: 'parsing',
      groupBy: `(r.vals ->> 'external_id')`,
      field: `'external_id'`,
      describe: `'sets external_id "' || d.grp || '", the same'`,
      // The first pass's errors have no field; they do take rows out of these groups.
      own: `e.phase = 'parsing' AND e.field = 'external_id'`,
    },
    { from, to, ranged },
  );
  return { removed };
}
