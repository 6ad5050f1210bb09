import type { Phase } from './phase.js';
import { removeDuplicates } from './remove-duplicates.js';
import { countLiveRows, RESOLVED_ROWS, sqlLiteral } from './working-rows.js';

// Phase 4, parsing: rows resolved to the same record id are duplicates (they named it by
// different keys), handled per duplicate_handling. Then rows that would give the same
// external_id to different records are duplicates too, since external_id is unique per
// organization and one of them would otherwise fail the whole batch.
export const parsing: Phase = async ({ tx, imp, def }) => {
  const total = await countLiveRows(tx, imp.id);
  let error = await removeDuplicates(tx, imp.id, imp.duplicate_handling, {
    phase: 'parsing',
    from: RESOLVED_ROWS,
    groupBy: 'i.record_id',
    field: `NULL::text`,
    describe: `'resolves to the same ' || ${sqlLiteral(def.name)} || ' (' || d.grp || ')'`,
  });
  if (imp.action !== 'delete') {
    error += await removeDuplicates(tx, imp.id, imp.duplicate_handling, {
      phase: 'parsing',
      groupBy: `r.vals ->> 'external_id'`,
      field: `'external_id'`,
      describe: `'sets external_id "' || d.grp || '", the same'`,
    });
  }
  return { total, error };
};
