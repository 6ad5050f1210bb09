import type { Stats } from '../domain/import.js';
import { ID_FIELD, type ResourceDefinition } from '../resources/resource.js';
import type { Phase, PhaseOutcome } from './phase.js';
import { scopeCondition } from './overwrite-scope.js';
import { removeRecords, requiredBy } from './remove-records.js';
import { countLiveRows, sqlLiteral } from '../staging/working-rows.js';

// Phase 7, cleanup. For overwrite, the file is the complete set of the resource (within the
// import's location, for resources tied to one): records the file does not mention are
// deleted. A record is mentioned when any row names it, valid or not, so a row rejected for a
// typo never gets its record deleted. Guards: an overwrite with no valid row fails and deletes
// nothing; one that would delete more than MASS_DELETE_MAX_RATIO of the existing records
// completes without deleting, with a reason, unless created with allow_mass_delete. The
// downloads are written before this runs, and the working rows dropped after (run-import.ts).
export const cleanup: Phase = async (ctx) => {
  const { tx, imp } = ctx;
  const total = await countLiveRows(tx, imp.id);
  return imp.action === 'overwrite' ? deleteUnmentioned(ctx, total) : { total, error: 0 };
};

async function deleteUnmentioned({ tx, imp, def, config }: Parameters<Phase>[0], total: number): Promise<PhaseOutcome> {
  const scope = scopeCondition(imp, def);
  const required = requiredBy(def, 't.id');
  const candidates = `SELECT t.id FROM ${def.table} t
    WHERE ${scope} AND t.id NOT IN (${mentionedIds(def)})${required ? ` AND NOT (${required})` : ''}`;
  const res = await tx.query<{ doomed: number; existing_before: number; stats: Stats }>(
    `SELECT (SELECT count(*) FROM (${candidates}) c)::int AS doomed, i.scope_count_before AS existing_before, i.stats
     FROM imports i WHERE i.id = $1`,
    [imp.id, imp.organization_id],
  );
  const { doomed, existing_before: existingBefore, stats } = res.rows[0]!;
  const ratio = existingBefore > 0 ? doomed / existingBefore : 0;
  if (doomed > 0 && ratio > config.limits.massDeleteMaxRatio && !imp.allow_mass_delete) {
    const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;
    return {
      total,
      error: 0,
      reason:
        `mass_delete_refused: cleanup would delete ${doomed} of ${existingBefore} existing ${def.name} records (${pct(ratio)}), ` +
        `more than the allowed ${pct(config.limits.massDeleteMaxRatio)}; nothing was deleted. Create the import with allow_mass_delete: true to allow it.`,
    };
  }
  const removed = await removeRecords(tx, imp, def, candidates);
  return { total, error: 0, stats: { overwritten: removed.deleted, events: stats.events + removed.events } };
}

/**
 * Ids of the records any row of the file names (SPEC §3: by `id`, else by its first lookup key
 * with a value): the id each resolved row got, and for rows removed before they were resolved,
 * every record their naming key matches (all of them when it matched several).
 */
function mentionedIds(def: ResourceDefinition): string {
  const byKey = [ID_FIELD, ...def.lookupKeys].map(
    (k) => `SELECT m.id FROM import_rows r JOIN ${def.table} m ON m.organization_id = $2 AND m.${k} = r.keys ->> ${sqlLiteral(k)}
            WHERE r.import_id = $1 AND split_part(r.ident, ':', 1) = ${sqlLiteral(k)}
              AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $1 AND i.row = r.row)`,
  );
  return [`SELECT i.record_id FROM import_row_ids i WHERE i.import_id = $1`, ...byKey].join(' UNION ');
}
