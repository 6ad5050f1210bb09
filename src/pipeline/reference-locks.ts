import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';
import { getResource } from '../resources/index.js';
import { referenceTargets, type ResourceDefinition } from '../resources/resource.js';
import { liveRowsIn, resolvedRowsIn, sqlLiteral } from '../staging/working-rows.js';

// Imports of different resources of one organization run at the same time, and validation
// resolved references in an earlier transaction. Before processing writes references, it locks
// their targets FOR KEY SHARE (a delete of a target now waits for this import, or has already
// happened); a row whose target vanished in between is removed as an invalid reference.

/** For the live rows `from`..`to`; returns how many were removed. */
export async function lockReferenceTargets(tx: Queryable, imp: ImportRecord, def: ResourceDefinition, from: number, to: number): Promise<number> {
  if (def.references.length === 0) return 0;
  const fields = def.references.map((r) => sqlLiteral(r.field)).join(', ');
  const targets = [...new Set(def.references.flatMap(referenceTargets))].map(getResource);
  // One CTE per target table: a locking clause is not allowed inside a UNION.
  const locks = targets
    .map(
      (t, n) => `lock_${n} AS (SELECT t.id FROM ${t.table} t
                 WHERE t.organization_id = $2 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, ${sqlLiteral(t.prefix)}))
                 FOR KEY SHARE)`,
    )
    .join(', ');
  const locked = targets.map((_, n) => `SELECT id FROM lock_${n}`).join(' UNION ALL ');
  const explode = `CROSS JOIN LATERAL jsonb_each(f.refs) AS e(key, value)
       CROSS JOIN LATERAL (
         SELECT e.value #>> '{}' AS id WHERE jsonb_typeof(e.value) = 'string'
         UNION ALL
         SELECT a FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END) AS a
       ) x`;
  // The common case first: lock the distinct targets (import_row_refs holds only rows that
  // passed validation, and nothing removed rows since) and find every one still there. Only
  // when some vanished are the rows that name them looked for.
  const quick = await tx.query<{ wanted: number; locked: number }>(
    `WITH wanted AS (
       SELECT DISTINCT x.id FROM import_row_refs f ${explode}
       WHERE f.import_id = $1 AND f.row BETWEEN $3 AND $4 AND e.key IN (${fields})
     ), ${locks}
     SELECT (SELECT count(*) FROM wanted)::int AS wanted, (SELECT count(*) FROM (${locked}) l)::int AS locked`,
    [imp.id, imp.organization_id, from, to],
  );
  if (quick.rows[0]!.wanted === quick.rows[0]!.locked) return 0;
  const res = await tx.query(
    `WITH wanted AS (
       SELECT r.row, e.key AS field, x.id
       FROM ${resolvedRowsIn('$3', '$4')}
       JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $3 AND $4
       ${explode}
       WHERE ${liveRowsIn('$3', '$4')} AND e.key IN (${fields})
     ), ${locks}, locked AS (${locked}), vanished AS (
       SELECT DISTINCT ON (w.row) w.row, w.field, w.id FROM wanted w WHERE w.id NOT IN (SELECT id FROM locked) ORDER BY w.row, w.field
     )
     INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT $1, v.row, 'processing', 'invalid_reference', v.field,
            v.field || ': ' || v.id || ' was deleted while this import ran; import the row again once it exists.', r.raw
     FROM vanished v JOIN import_rows r ON r.import_id = $1 AND r.row = v.row`,
    [imp.id, imp.organization_id, from, to],
  );
  return res.rowCount;
}
