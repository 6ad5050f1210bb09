import type { Queryable } from '../db/db.js';
import { getResource } from '../resources/index.js';
import { PHASES } from '../domain/phases.js';

// Where processing runs range by range (PGlite, merge and overwrite: see processing.ts), an
// import that ends before the phase completes — canceled, timed out, failed — has committed
// some of its upserts. SPEC §3: the running phase is rolled back. The import's events are the
// undo log: each record it created is deleted, each it updated gets its previous values back,
// and the events and the phase's row errors go. This is exact because nothing else wrote those
// records meanwhile: ranges are used only where one import runs at a time.

const PROCESSING = PHASES.findIndex((p) => p.name === 'processing');

/** Rolls back the ranges an unfinished processing phase committed; a no-op otherwise. */
export async function undoUnfinishedProcessing(tx: Queryable, importId: string): Promise<void> {
  const res = await tx.query<{ resource: string; organization_id: string }>(
    `SELECT i.resource, i.organization_id FROM imports i
     JOIN import_phases p ON p.import_id = i.id AND p.position = $2
     WHERE i.id = $1 AND p.status = 'running' AND p.cursor > 0`,
    [importId, PROCESSING],
  );
  const imp = res.rows[0];
  if (!imp) return;
  const def = getResource(imp.resource);
  const restore = Object.keys(def.fields).map((c) => `${c} = (b.p).${c}`);
  // Data-modifying CTEs run to completion whether read or not.
  await tx.query(
    `WITH ev AS (
       DELETE FROM events e WHERE e.organization_id = $2 AND e.import_id = $1 RETURNING e.record_id, e.type, e.before
     ), created AS (
       DELETE FROM ${def.table} t USING ev WHERE ev.type = 'record.created' AND t.organization_id = $2 AND t.id = ev.record_id
     ), updated AS (
       UPDATE ${def.table} t SET ${restore.join(', ')}, updated_at = now()
       FROM (SELECT ev.record_id, jsonb_populate_record(NULL::${def.table}, ev.before) AS p FROM ev WHERE ev.type = 'record.updated') b
       WHERE t.organization_id = $2 AND t.id = b.record_id
     )
     SELECT 1`,
    [importId, imp.organization_id],
  );
  await tx.query(`DELETE FROM import_errors WHERE import_id = $1 AND phase = 'processing'`, [importId]);
  await tx.query(`UPDATE import_phases SET cursor = 0, counts = '{}', processed = 0, error = 0, success = 0 WHERE import_id = $1 AND position = $2`, [
    importId,
    PROCESSING,
  ]);
}
