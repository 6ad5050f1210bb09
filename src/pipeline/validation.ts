import { sql, type SqlFragment } from '../db/sql.js';
import type { Action } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { manyFieldsArray, referenceMatches, referenceValues } from './reference-sql.js';
import { referrersOf, type Referrer } from './remove-records.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { liveRowsIn, resolvedRowsIn } from '../staging/working-rows.js';
import { unmappedHeadersSql } from './unmapped-headers-sql.js';

// Phase 5, validation: rows that would create a record without its required fields (or clear
// one) are removed (`missing_required_field`); then every reference is resolved to ids, and rows
// with a reference matching nothing (`invalid_reference`) or several records
// (`ambiguous_reference`) are removed. Resolved ids are kept in import_rows.refs. For delete,
// rows whose record another record still requires (an item with assets) are removed
// (`still_referenced`).
export const validation: ChunkedPhase = { passes: [validateRows] };

async function validateRows(ctx: ChunkContext): Promise<RangeOutcome> {
  const { tx, imp, def, from, to } = ctx;
  let removed = 0;
  for (const { statement, removes } of validationStatements(def, imp.action, statementParams(imp, from, to))) {
    const res = await tx.query<{ errors: number }>(statement);
    if (removes === 'rowCount') removed += res.rowCount;
    if (removes === 'errors') removed += res.rows[0]?.errors ?? 0;
  }
  return { removed };
}

interface ValidationStatement {
  name: string;
  statement: SqlFragment;
  /** How the statement reports the rows it removed: as its row count, or as its column `errors`. */
  removes?: 'rowCount' | 'errors';
}

/** Every statement of the phase, in the order it runs them. */
export function validationStatements(def: ResourceDefinition, action: Action, p: StatementParams): ValidationStatement[] {
  if (action === 'delete') {
    return referrersOf(def)
      .filter((x) => x.required)
      .map((r) => ({ name: `removeStillReferenced(${r.def.name}.${r.ref.field})`, statement: removeStillReferencedSql(def, r, p), removes: 'rowCount' as const }));
  }
  const out: ValidationStatement[] = [];
  const missing = removeMissingRequiredSql(def, action, p);
  if (missing) out.push({ name: 'removeMissingRequired', statement: missing, removes: 'rowCount' });
  if (def.references.length > 0) {
    out.push(...resolveReferencesSql(def, p).map((s) => ({ ...s, name: `resolveReferences.${s.name}` })));
  }
  return out;
}

/** The live resolved rows of the range. */
const liveResolved = (p: StatementParams) => sql`${resolvedRowsIn(p)} WHERE ${liveRowsIn(p)}`;

const article = (noun: string) => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

export function removeMissingRequiredSql(def: ResourceDefinition, _action: Action, p: StatementParams): SqlFragment | null {
  // A required field is missing when it is absent on create (or on overwrite, which replaces
  // every field), and when it is explicitly cleared (JSON null) on any row.
  const mustHave = (f: string) =>
    sql`CASE WHEN (i.is_new OR ${p.action} = 'overwrite') AND NOT (r.vals ? ${f}) THEN ${f}::text
          WHEN jsonb_typeof(r.vals -> ${f}) = 'null' THEN ${f}::text END`;
  // A generated field (asset serial_number) left empty or null is generated on create; on an
  // existing record it cannot be cleared, since every record has one.
  const cannotClear = (def.generatedOnCreate ?? []).map(
    (f) => sql`CASE WHEN NOT i.is_new AND jsonb_typeof(r.vals -> ${f}) = 'null' THEN ${f}::text END`,
  );
  const checks = [...def.requiredToCreate.map(mustHave), ...cannotClear];
  if (checks.length === 0) return null;
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.importId}, m.row, 'validation', 'missing_required_field', m.field,
       CASE WHEN m.is_new THEN 'Creating ' || ${article(def.name)} || ' needs ' || m.field || ', and the row has no value for it.'
            WHEN ${p.action} = 'overwrite' AND NOT (m.vals ? m.field) THEN 'Overwrite replaces every field, and ' || m.field || ' is required: the row must give it.'
            ELSE m.field || ' is required and cannot be cleared.' END
         || ' Required to create: ' || ${def.requiredToCreate.join(', ')} || '.'
         || coalesce(' Columns of the file that map to no field: ' || (${unmappedHeadersSql(p)}) || '; if one of them holds ' || m.field
              || ', name it in column_mapping.', ''),
       (SELECT x.raw FROM import_rows x WHERE x.import_id = ${p.importId} AND x.row = m.row)
     FROM (
       SELECT r.row, r.vals, i.is_new, coalesce(${sql.join(checks, ', ')}) AS field
       FROM ${liveResolved(p)}
     ) m
     WHERE m.field IS NOT NULL`;
}


/**
 * Temporary tables with fresh statistics rather than CTEs: the planner cannot estimate a CTE,
 * and its guesses (nested loops over 100k values) cost 100×. The last statement reports the
 * rows it removed as `errors`.
 */
export function resolveReferencesSql(def: ResourceDefinition, p: StatementParams): ValidationStatement[] {
  return [
    { name: 'refs', statement: sql`CREATE TEMPORARY TABLE refs (row int, field text, pos int, ord int, value text, target text) ON COMMIT DROP` },
    {
      name: 'refs',
      statement: sql`INSERT INTO refs SELECT r.row, v.field, v.pos, v.ord, v.value, v.target
     FROM ${resolvedRowsIn(p)} CROSS JOIN LATERAL (${referenceValues(def)}) v
     WHERE ${liveRowsIn(p)}`,
    },
    { name: 'refs', statement: sql`ANALYZE refs` },
    // Each distinct value once: how many records it matches, and (up to five of) which.
    {
      name: 'values',
      statement: sql`CREATE TEMPORARY TABLE ref_values ON COMMIT DROP AS
     SELECT DISTINCT target, value FROM refs WHERE target IS NOT NULL`,
    },
    { name: 'values', statement: sql`ANALYZE ref_values` },
    {
      name: 'matches',
      statement: sql`CREATE TEMPORARY TABLE ref_matches ON COMMIT DROP AS
     SELECT m.target, m.value, count(DISTINCT m.id)::int AS n, (array_agg(DISTINCT m.id ORDER BY m.id))[1:5] AS ids
     FROM (${referenceMatches(def, p)}) m GROUP BY m.target, m.value`,
    },
    { name: 'matches', statement: sql`ANALYZE ref_matches` },
    {
      name: 'save',
      statement: sql`WITH counted AS (
       SELECT x.row, x.field, x.pos, x.ord, x.value, x.target, coalesce(m.n, 0) AS n, m.ids
       FROM refs x LEFT JOIN ref_matches m ON m.target = x.target AND m.value = x.value
     ), bad AS (
       SELECT DISTINCT ON (c.row) c.* FROM counted c WHERE c.n <> 1 ORDER BY c.row, c.pos, c.ord
     ), errors AS (
       INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       SELECT ${p.importId}, b.row, 'validation',
         CASE WHEN b.n = 0 THEN 'invalid_reference' ELSE 'ambiguous_reference' END,
         b.field,
         CASE
           WHEN b.target IS NULL THEN b.field || ': cannot tell what "' || b.value || '" refers to; set the group''s type (contact or location).'
           WHEN b.n = 0 THEN b.field || ': no ' || b.target || ' matches "' || b.value || '"; expected an id or a value of one of its lookup keys.'
           ELSE b.field || ': "' || b.value || '" matches ' || b.n || ' ' || b.target || ' records (' || array_to_string(b.ids, ', ')
             || '); use the id or a key that matches exactly one.'
         END,
         r.raw
       FROM bad b JOIN import_rows r ON r.import_id = ${p.importId} AND r.row = b.row
       RETURNING 1
     ), resolved AS (
       SELECT c.row, jsonb_object_agg(c.field, CASE WHEN c.field = ANY(${manyFieldsArray(def)}) THEN to_jsonb(c.ids_all) ELSE to_jsonb(c.ids_all[1]) END) AS refs
       FROM (
         SELECT row, field, array_agg(DISTINCT ids[1] ORDER BY ids[1]) AS ids_all
         FROM counted WHERE row NOT IN (SELECT row FROM bad)
         GROUP BY row, field
       ) c
       GROUP BY c.row
     ), saved AS (
       INSERT INTO import_row_refs (import_id, row, refs) SELECT ${p.importId}, s.row, s.refs FROM resolved s
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM saved)::int AS saved`,
      removes: 'errors',
    },
  ];
}

export function removeStillReferencedSql(def: ResourceDefinition, r: Referrer, p: StatementParams): SqlFragment {
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       SELECT ${p.importId}, r.row, 'validation', 'still_referenced', NULL,
         ${def.name} || ' ' || i.record_id || ' is still required by ' || x.n || ' ' || ${r.def.name}
           || ' record(s) (' || array_to_string(x.ids, ', ') || CASE WHEN x.n > 3 THEN ', …' ELSE '' END
           || ') through their ' || ${r.ref.field} || '; delete or move those first.',
         r.raw
       FROM ${resolvedRowsIn(p)}
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS n, (array_agg(t.id ORDER BY t.id))[1:3] AS ids
         FROM ${sql.ident(r.def.table)} t WHERE t.organization_id = ${p.organizationId} AND t.${sql.ident(r.ref.field)} = i.record_id
       ) x
       WHERE ${liveRowsIn(p)} AND x.n > 0`;
}
