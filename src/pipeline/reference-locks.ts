import { sql, type SqlFragment } from '../db/sql.js';
import type { Queryable } from '../db/db.js';
import { getResource } from '../resources/index.js';
import { referenceTargets, type ResourceDefinition } from '../resources/resource.js';
import type { StatementParams } from './statement-params.js';
import { liveRowsIn, resolvedRowsIn } from '../staging/working-rows.js';

// Imports of different resources of one organization run at the same time, and validation
// resolved references in an earlier transaction. Before processing writes references, it locks
// their targets FOR KEY SHARE (a delete of a target now waits for this import, or has already
// happened); a row whose target vanished in between is removed as an invalid reference.

/** For the live rows of the range; returns how many were removed. */
export async function lockReferenceTargets(tx: Queryable, def: ResourceDefinition, p: StatementParams): Promise<number> {
  if (def.references.length === 0) return 0;
  // The common case first: lock the distinct targets (import_row_refs holds only rows that
  // passed validation, and nothing removed rows since) and find every one still there. Only
  // when some vanished are the rows that name them looked for.
  const quick = await tx.query<{ wanted: number; locked: number }>(lockReferenceTargetsSql(def, p));
  if (quick.rows[0]!.wanted === quick.rows[0]!.locked) return 0;
  const res = await tx.query(removeVanishedSql(def, p));
  return res.rowCount;
}

/** The statements, in order (sql:print); the second runs only when some target vanished. */
export function referenceLockStatements(def: ResourceDefinition, p: StatementParams): { name: string; statement: SqlFragment }[] {
  if (def.references.length === 0) return [];
  return [
    { name: 'lockReferenceTargets', statement: lockReferenceTargetsSql(def, p) },
    { name: 'removeVanished', statement: removeVanishedSql(def, p) },
  ];
}

const fieldList = (def: ResourceDefinition) => sql.join(def.references.map((r) => r.field), ', ');

/** One CTE per target table: a locking clause is not allowed inside a UNION. */
function locks(def: ResourceDefinition, p: StatementParams): { ctes: SqlFragment; locked: SqlFragment } {
  const targets = [...new Set(def.references.flatMap(referenceTargets))].map(getResource);
  const ctes = sql.join(
    targets.map(
      (t, n) => sql`${sql.ident(`lock_${n}`)} AS (SELECT t.id FROM ${sql.ident(t.table)} t
                 WHERE t.organization_id = ${p.organizationId} AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, ${t.prefix}))
                 FOR KEY SHARE)`,
    ),
    ', ',
  );
  const locked = sql.join(
    targets.map((_, n) => sql`SELECT id FROM ${sql.ident(`lock_${n}`)}`),
    ' UNION ALL ',
  );
  return { ctes, locked };
}

const explode = sql`CROSS JOIN LATERAL jsonb_each(f.refs) AS e(key, value)
       CROSS JOIN LATERAL (
         SELECT e.value #>> '{}' AS id WHERE jsonb_typeof(e.value) = 'string'
         UNION ALL
         SELECT a FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END) AS a
       ) x`;

export function lockReferenceTargetsSql(def: ResourceDefinition, p: StatementParams): SqlFragment {
  const { ctes, locked } = locks(def, p);
  return sql`WITH wanted AS (
       SELECT DISTINCT x.id FROM import_row_refs f ${explode}
       WHERE f.import_id = ${p.importId} AND f.row BETWEEN ${p.from} AND ${p.to} AND e.key IN (${fieldList(def)})
     ), ${ctes}
     SELECT (SELECT count(*) FROM wanted)::int AS wanted, (SELECT count(*) FROM (${locked}) l)::int AS locked`;
}

export function removeVanishedSql(def: ResourceDefinition, p: StatementParams): SqlFragment {
  const { ctes, locked } = locks(def, p);
  return sql`WITH wanted AS (
       SELECT r.row, e.key AS field, x.id
       FROM ${resolvedRowsIn(p)}
       JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN ${p.from} AND ${p.to}
       ${explode}
       WHERE ${liveRowsIn(p)} AND e.key IN (${fieldList(def)})
     ), ${ctes}, locked AS (${locked}), vanished AS (
       SELECT DISTINCT ON (w.row) w.row, w.field, w.id FROM wanted w WHERE w.id NOT IN (SELECT id FROM locked) ORDER BY w.row, w.field
     )
     INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.importId}, v.row, 'processing', 'invalid_reference', v.field,
            v.field || ': ' || v.id || ' was deleted while this import ran; import the row again once it exists.', r.raw
     FROM vanished v JOIN import_rows r ON r.import_id = ${p.importId} AND r.row = v.row`;
}
