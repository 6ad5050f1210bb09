import { sql, type SqlFragment } from '../db/sql.js';
import type { Action, Stats } from '../domain/import.js';
import { ID_FIELD, type ResourceDefinition } from '../resources/resource.js';
import type { Phase, PhaseOutcome } from './phase.js';
import { scopeCondition } from './overwrite-scope.js';
import { removeRecords, removeRecordsStatements, requiredBy } from './remove-records.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { countLiveRows, countLiveRowsSql } from '../staging/working-rows.js';

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
  const p = statementParams(imp);
  const res = await tx.query<{ doomed: number; existing_before: number; stats: Stats }>(countUnmentionedSql(def, p));
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
  const removed = await removeRecords(tx, def, p, unmentionedSql(def, p), imp.dry_run);
  return { total, error: 0, stats: { overwritten: removed.deleted, events: stats.events + removed.events } };
}

/** Every statement of the phase for the action, in order (sql:print). */
export function cleanupStatements(def: ResourceDefinition, action: Action, p: StatementParams, dryRun = false): { name: string; statement: SqlFragment }[] {
  const count = { name: 'countLiveRows', statement: countLiveRowsSql(p) };
  if (action !== 'overwrite') return [count];
  return [
    count,
    { name: 'countUnmentioned', statement: countUnmentionedSql(def, p) },
    ...removeRecordsStatements(def, p, unmentionedSql(def, p), dryRun).map((s) => ({ ...s, name: `removeRecords.${s.name}` })),
  ];
}

/** The records in the overwrite's scope that no row mentions and nothing requires. */
export function unmentionedSql(def: ResourceDefinition, p: StatementParams): SqlFragment {
  const required = requiredBy(def, sql`t.id`, p);
  return sql`SELECT t.id FROM ${sql.ident(def.table)} t
    WHERE ${scopeCondition(def, p)} AND t.id NOT IN (${mentionedIds(def, p)})${required ? sql` AND NOT (${required})` : sql.empty}`;
}

/** How many records cleanup would delete, against how many the overwrite's scope had before. */
export const countUnmentionedSql = (def: ResourceDefinition, p: StatementParams) =>
  sql`SELECT (SELECT count(*) FROM (${unmentionedSql(def, p)}) c)::int AS doomed, i.scope_count_before AS existing_before, i.stats
     FROM imports i WHERE i.id = ${p.importId}`;

/**
 * Ids of the records any row of the file names (SPEC §3: by `id`, else by its first lookup key
 * with a value): the id each resolved row got, and for rows removed before they were resolved,
 * every record their naming key matches (all of them when it matched several).
 */
function mentionedIds(def: ResourceDefinition, p: StatementParams): SqlFragment {
  const byKey = [ID_FIELD, ...def.lookupKeys].map(
    (k) => sql`SELECT m.id FROM import_rows r JOIN ${sql.ident(def.table)} m ON m.organization_id = ${p.organizationId} AND m.${sql.ident(k)} = r.keys ->> ${k}
            WHERE r.import_id = ${p.importId} AND split_part(r.ident, ':', 1) = ${k}
              AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = ${p.importId} AND i.row = r.row)`,
  );
  return sql.join([sql`SELECT i.record_id FROM import_row_ids i WHERE i.import_id = ${p.importId}`, ...byKey], ' UNION ');
}
