import type { ChunkedPhase } from './chunked-phase.js';
import { removeDuplicates } from './remove-duplicates.js';

// Phase 2, preparsing: rows that name the same record by the same identity value (`id`, else
// the first lookup key with a value, compared as stored: trimmed, emails lower-cased) are
// duplicates, handled per duplicate_handling. Range by range (chunked-phase.ts); a file no
// larger than one range is one statement, which hashes its groups instead of looking them up.
export const preparsing: ChunkedPhase = {
  passes: [(ctx) => removeDuplicates(ctx, 'identity')],
};
