import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { sqlLiteral } from './working-rows.js';

// Phase 2, preparsing: rows that name the same record by the same identity value (`id`, else
// the first lookup key with a value, compared as stored: trimmed, emails lower-cased) are
// duplicates, handled per duplicate_handling. Range by range on PGlite; on PostgreSQL one
// statement over the file hashes its groups faster than ranges could look them up.
export const preparsing: ChunkedPhase = {
  passes: [removeSameIdentity],
  oneRange: (_imp, engine) => engine !== 'pglite',
};

async function removeSameIdentity({ tx, imp, def, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  const removed = await removeDuplicates(
    tx,
    imp.id,
    imp.duplicate_handling,
    {
      phase: 'preparsing',
      groupBy: 'r.ident',
      field: `split_part(r.ident, ':', 1)`,
      describe: `'names the same ' || ${sqlLiteral(def.name)} || ' by ' || d.field || ' "' || substr(d.grp, length(d.field) + 2) || '"'`,
      own: `e.phase = 'preparsing'`,
    },
    { from, to, ranged },
  );
  return { removed };
}
