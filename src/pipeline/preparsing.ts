import type { Phase } from './phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { countLiveRows, sqlLiteral } from './working-rows.js';

// Phase 2, preparsing: rows that name the same record by the same identity value (`id`, else
// the first lookup key with a value, compared as stored: trimmed, emails lower-cased) are
// duplicates, handled per duplicate_handling.
export const preparsing: Phase = async ({ tx, imp, def }) => {
  const total = await countLiveRows(tx, imp.id);
  const error = await removeDuplicates(tx, imp.id, imp.duplicate_handling, {
    phase: 'preparsing',
    groupBy: 'r.ident',
    field: `split_part(r.ident, ':', 1)`,
    describe: `'names the same ' || ${sqlLiteral(def.name)} || ' by ' || d.field || ' "' || substr(d.grp, length(d.field) + 2) || '"'`,
  });
  return { total, error };
};
