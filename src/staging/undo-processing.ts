import type { Queryable } from '../db/db.js';
import { sql, type SqlFragment, type SqlParam } from '../db/sql.js';
import { getResource } from '../resources/index.js';
import type { ResourceDefinition } from '../resources/resource.js';

// Where processing runs range by range (PGlite, merge and overwrite: see processing.ts), an
// import that ends before the phase completes — canceled, timed out, failed — has committed
// some of its upserts. SPEC §3: the running phase is rolled back. The import's events are the
// undo log: each record it created is deleted, each it updated gets its previous values back,
// and the events and the phase's row errors go. This is exact because nothing else wrote those
// records meanwhile: ranges are used only where one import runs at a time.

/** Rolls back the ranges an unfinished processing phase committed; a no-op otherwise. */
export async function undoUnfinishedProcessing(tx: Queryable, importId: string): Promise<void> {
  const res = await tx.query<{ resource: string; organization_id: string }>(
    `SELECT i.resource, i.organization_id FROM imports i
     JOIN import_phases p ON p.import_id = i.id AND p.name = 'processing'
     WHERE i.id = $1 AND p.status = 'running' AND p.cursor > 0`,
    [importId],
  );
  const imp = res.rows[0];
  if (!imp) return;
  const def = getResource(imp.resource);
  // Data-modifying CTEs run to completion whether read or not.
  await tx.query(undoUpsertsSql(def, { importId: sql.param(importId, 'import id'), organizationId: sql.param(imp.organization_id, 'organization id') }));
  await tx.query(`DELETE FROM import_errors WHERE import_id = $1 AND phase = 'processing'`, [importId]);
  // A dry run wrote no record and no event, only its forecast of them (pipeline/dry-run.ts);
  // nothing but processing has forecast anything yet.
  await tx.query('DELETE FROM forecast_events WHERE import_id = $1', [importId]);
  await tx.query(`UPDATE import_phases SET cursor = 0, counts = '{}', processed = 0, error = 0, success = 0 WHERE import_id = $1 AND name = 'processing'`, [
    importId,
  ]);
}

/** Deletes the import's events, and with them the records it created; gives the ones it updated their values before. */
export function undoUpsertsSql(def: ResourceDefinition, p: { importId: SqlParam; organizationId: SqlParam }): SqlFragment {
  const table = sql.ident(def.table);
  const restore = sql.join(
    Object.keys(def.fields).map((c) => sql`${sql.ident(c)} = (b.p).${sql.ident(c)}`),
    ', ',
  );
  return sql`WITH ev AS (
       DELETE FROM events e WHERE e.organization_id = ${p.organizationId} AND e.import_id = ${p.importId} RETURNING e.record_id, e.type, e.before
     ), created AS (
       DELETE FROM ${table} t USING ev WHERE ev.type = 'record.created' AND t.organization_id = ${p.organizationId} AND t.id = ev.record_id
     ), updated AS (
       UPDATE ${table} t SET ${restore}, updated_at = now()
       FROM (SELECT ev.record_id, jsonb_populate_record(NULL::${table}, ev.before) AS p FROM ev WHERE ev.type = 'record.updated') b
       WHERE t.organization_id = ${p.organizationId} AND t.id = b.record_id
     )
     SELECT 1`;
}
