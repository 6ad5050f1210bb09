import type { ChunkedPhase } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';

// Phase 2, preparsing: rows that name the same record by the same identity value (`id`, else
// the first lookup key with a value, compared as stored: trimmed, emails lower-cased) are
// duplicates, handled per duplicate_handling. Range by range on PGlite; on PostgreSQL one
// statement over the file hashes its groups faster than ranges could look them up (at 100k
// rows, ranges made this phase and parsing 2-4 times slower), and a pass over a million rows
// takes 2-3 s, so it stays one statement there.
export const preparsing: ChunkedPhase = {
  passes: [(ctx) => removeDuplicates(ctx, 'identity')],
  wholePasses: (engine) => engine !== 'pglite',
};
