import { sql, type SqlFragment } from '../db/sql.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, RangeOutcome } from './chunked-phase.js';
import { removeRecords, removeRecordsStatements } from './remove-records.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { liveRow, RESOLVED_ROWS } from '../staging/working-rows.js';

// Processing for delete: removes the records of every live row, in one range (processing.ts
// `oneRange`); references to them are cleared (see remove-records.ts).
export async function processDeletes({ tx, imp, def }: ChunkContext): Promise<RangeOutcome> {
  const p = statementParams(imp);
  const removed = await removeRecords(tx, def, p, liveRecordIdsSql(p), imp.dry_run);
  const kept = removed.kept.length === 0 ? 0 : (await tx.query(reportKeptSql(def, p, removed.kept))).rowCount;
  return { removed: kept, counts: { deleted: removed.deleted, events: removed.events } };
}

/** Every statement, in order (sql:print); the last runs only when a record was spared. */
export function processDeletesStatements(def: ResourceDefinition, p: StatementParams, dryRun = false): { name: string; statement: SqlFragment }[] {
  return [
    ...removeRecordsStatements(def, p, liveRecordIdsSql(p), dryRun).map((s) => ({ ...s, name: `removeRecords.${s.name}` })),
    { name: 'reportKept', statement: reportKeptSql(def, p, ['sample_kept_id']) },
  ];
}

/** The records the live rows resolved to. */
export const liveRecordIdsSql = (p: Pick<StatementParams, 'importId'>) => sql`SELECT i.record_id FROM ${RESOLVED_ROWS} WHERE ${liveRow(p.importId)}`;

/** Rows whose record became required by another one after validation checked it (a concurrent import). */
export function reportKeptSql(def: ResourceDefinition, p: StatementParams, kept: string[]): SqlFragment {
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.importId}, r.row, 'processing', 'still_referenced', NULL,
            ${def.name} || ' ' || i.record_id || ' came to be required by another record while this import ran, so it was not deleted.', r.raw
     FROM ${RESOLVED_ROWS} WHERE ${liveRow(p.importId)} AND i.record_id = ANY(${sql.param(kept, 'ids spared')}::text[])`;
}
