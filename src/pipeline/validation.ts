import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { manyFieldsArray, referenceMatches, referenceValues } from './reference-sql.js';
import { referrersOf } from './remove-records.js';
import { liveRowsIn, resolvedRowsIn, sqlLiteral } from '../staging/working-rows.js';

// Phase 5, validation: rows that would create a record without its required fields (or clear
// one) are removed (`missing_required_field`); then every reference is resolved to ids, and rows
// with a reference matching nothing (`invalid_reference`) or several records
// (`ambiguous_reference`) are removed. Resolved ids are kept in import_rows.refs. For delete,
// rows whose record another record still requires (an item with assets) are removed
// (`still_referenced`).
export const validation: ChunkedPhase = { passes: [validateRows] };

async function validateRows(ctx: ChunkContext): Promise<RangeOutcome> {
  const { imp, def } = ctx;
  if (imp.action === 'delete') return { removed: await removeStillReferenced(ctx) };
  let removed = await removeMissingRequired(ctx);
  if (def.references.length > 0) removed += await resolveReferences(ctx);
  return { removed };
}

/** The live resolved rows of the range `$3`..`$4`. */
const LIVE_RESOLVED = `${resolvedRowsIn('$3', '$4')} WHERE ${liveRowsIn('$3', '$4')}`;

const article = (noun: string) => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

async function removeMissingRequired({ tx, imp, def, from, to }: ChunkContext): Promise<number> {
  // A required field is missing when it is absent on create (or on overwrite, which replaces
  // every field), and when it is explicitly cleared (JSON null) on any row.
  const mustHave = (f: string) =>
    `CASE WHEN (i.is_new OR $2 = 'overwrite') AND NOT (r.vals ? ${sqlLiteral(f)}) THEN ${sqlLiteral(f)}
          WHEN jsonb_typeof(r.vals -> ${sqlLiteral(f)}) = 'null' THEN ${sqlLiteral(f)} END`;
  // A generated field (asset serial_number) left empty or null is generated on create; on an
  // existing record it cannot be cleared, since every record has one.
  const cannotClear = (def.generatedOnCreate ?? []).map(
    (f) => `CASE WHEN NOT i.is_new AND jsonb_typeof(r.vals -> ${sqlLiteral(f)}) = 'null' THEN ${sqlLiteral(f)} END`,
  );
  const checks = [...def.requiredToCreate.map(mustHave), ...cannotClear];
  if (checks.length === 0) return 0;
  const res = await tx.query(
    `INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT $1, m.row, 'validation', 'missing_required_field', m.field,
       CASE WHEN m.is_new THEN 'Creating ' || ${sqlLiteral(article(def.name))} || ' needs ' || m.field || ', and the row has no value for it.'
            WHEN $2 = 'overwrite' AND NOT (m.vals ? m.field) THEN 'Overwrite replaces every field, and ' || m.field || ' is required: the row must give it.'
            ELSE m.field || ' is required and cannot be cleared.' END
         || ' Required to create: ' || ${sqlLiteral(def.requiredToCreate.join(', '))} || '.',
       (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = m.row)
     FROM (
       SELECT r.row, r.vals, i.is_new, coalesce(${checks.join(', ')}) AS field
       FROM ${LIVE_RESOLVED}
     ) m
     WHERE m.field IS NOT NULL`,
    [imp.id, imp.action, from, to],
  );
  return res.rowCount;
}

async function resolveReferences({ tx, imp, def, from, to }: ChunkContext): Promise<number> {
  // Temporary tables with fresh statistics rather than CTEs: the planner cannot estimate a CTE,
  // and its guesses (nested loops over 100k values) cost 100×.
  await tx.query(
    `CREATE TEMPORARY TABLE refs (row int, field text, pos int, ord int, value text, target text) ON COMMIT DROP`,
  );
  await tx.query(
    `INSERT INTO refs SELECT r.row, v.field, v.pos, v.ord, v.value, v.target
     FROM ${resolvedRowsIn('$2', '$3')} CROSS JOIN LATERAL (${referenceValues(def)}) v
     WHERE ${liveRowsIn('$2', '$3')}`,
    [imp.id, from, to],
  );
  await tx.query('ANALYZE refs');
  // Each distinct value once: how many records it matches, and (up to five of) which.
  await tx.query(
    `CREATE TEMPORARY TABLE ref_values ON COMMIT DROP AS
     SELECT DISTINCT target, value FROM refs WHERE target IS NOT NULL`,
  );
  await tx.query('ANALYZE ref_values');
  await tx.query(
    `CREATE TEMPORARY TABLE ref_matches ON COMMIT DROP AS
     SELECT m.target, m.value, count(DISTINCT m.id)::int AS n, (array_agg(DISTINCT m.id ORDER BY m.id))[1:5] AS ids
     FROM (${referenceMatches(def)}) m GROUP BY m.target, m.value`,
    [imp.organization_id],
  );
  await tx.query('ANALYZE ref_matches');
  const res = await tx.query<{ errors: number }>(
    `WITH counted AS (
       SELECT x.row, x.field, x.pos, x.ord, x.value, x.target, coalesce(m.n, 0) AS n, m.ids
       FROM refs x LEFT JOIN ref_matches m ON m.target = x.target AND m.value = x.value
     ), bad AS (
       SELECT DISTINCT ON (c.row) c.* FROM counted c WHERE c.n <> 1 ORDER BY c.row, c.pos, c.ord
     ), errors AS (
       INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       SELECT $1, b.row, 'validation',
         CASE WHEN b.n = 0 THEN 'invalid_reference' ELSE 'ambiguous_reference' END,
         b.field,
         CASE
           WHEN b.target IS NULL THEN b.field || ': cannot tell what "' || b.value || '" refers to; set the group''s type (contact or location).'
           WHEN b.n = 0 THEN b.field || ': no ' || b.target || ' matches "' || b.value || '"; expected an id or a value of one of its lookup keys.'
           ELSE b.field || ': "' || b.value || '" matches ' || b.n || ' ' || b.target || ' records (' || array_to_string(b.ids, ', ')
             || '); use the id or a key that matches exactly one.'
         END,
         r.raw
       FROM bad b JOIN import_rows r ON r.import_id = $1 AND r.row = b.row
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
       INSERT INTO import_row_refs (import_id, row, refs) SELECT $1, s.row, s.refs FROM resolved s
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM saved)::int AS saved`,
    [imp.id],
  );
  return res.rows[0]?.errors ?? 0;
}

async function removeStillReferenced({ tx, imp, def, from, to }: ChunkContext): Promise<number> {
  let error = 0;
  for (const r of referrersOf(def).filter((x) => x.required)) {
    const res = await tx.query(
      `INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       SELECT $1, r.row, 'validation', 'still_referenced', NULL,
         ${sqlLiteral(def.name)} || ' ' || i.record_id || ' is still required by ' || x.n || ' ' || ${sqlLiteral(r.def.name)}
           || ' record(s) (' || array_to_string(x.ids, ', ') || CASE WHEN x.n > 3 THEN ', …' ELSE '' END
           || ') through their ' || ${sqlLiteral(r.ref.field)} || '; delete or move those first.',
         r.raw
       FROM ${resolvedRowsIn('$3', '$4')}
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS n, (array_agg(t.id ORDER BY t.id))[1:3] AS ids
         FROM ${r.def.table} t WHERE t.organization_id = $2 AND t.${r.ref.field} = i.record_id
       ) x
       WHERE ${liveRowsIn('$3', '$4')} AND x.n > 0`,
      [imp.id, imp.organization_id, from, to],
    );
    error += res.rowCount;
  }
  return error;
}
