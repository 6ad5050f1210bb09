import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { collectWantedKeys, has, identityJoins, identitySources, keysDisagree, naming, uniqueMatchList } from './identity-sql.js';
import { analyzeWorkingRows, liveRowsIn, sqlLiteral } from '../staging/working-rows.js';

// Phase 3, transforming: each live row is resolved to an existing record id, or gets a new id
// injected. A row names its record by `id` if present, else by its first lookup key with a
// value (SPEC §3). Removed here:
//  - missing_identity:   no id and no lookup-key value;
//  - not_found:          an `id` that matches nothing (and, for delete, any unmatched row);
//  - ambiguous_identity: the naming key matches several records, or the row's keys each name
//                        a single record but not the same one (the keys disagree).
export const transforming: ChunkedPhase = {
  passes: [resolveIdentities],
  // The staged rows need statistics (right after the COPY there are none). An async import's
  // prevalidation gathered them; a sync one's ran in the request, which must stay quick.
  prepare: async ({ tx, imp }) => {
    if (imp.upload_mode === 'sync') await analyzeWorkingRows(tx);
  },
};

async function resolveIdentities({ tx, imp, def, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  const sources = identitySources(def);
  const namingCount = naming(sources, 'c');
  const keyList = sources.map((s) => s.key).join(', ');
  const noun = sqlLiteral(def.name);
  await collectWantedKeys(tx, imp.id, sources, { from, to, ranged });
  const res = await tx.query<{ errors: number }>(
    `WITH live AS (
       SELECT r.row, r.keys FROM import_rows r WHERE ${liveRowsIn('$4', '$5')}
     ), decided AS (
       SELECT live.row,
         CASE
           WHEN NOT (${sources.map(has).join(' OR ')}) THEN 'missing_identity'
           WHEN ${has(sources[0]!)} AND ${sources[0]!.alias}.c IS NULL THEN 'not_found'
           WHEN ${namingCount} > 1 THEN 'ambiguous_identity'
           WHEN ${keysDisagree(sources)} THEN 'ambiguous_identity'
           WHEN ${namingCount} IS NULL AND $3 = 'delete' THEN 'not_found'
         END AS code,
         CASE WHEN ${sources.map(has).join(' OR ')} THEN ${naming(sources, 'key')} END AS field,
         CASE
           WHEN NOT (${sources.map(has).join(' OR ')}) THEN
             'The row has no id and no value for any lookup key (' || ${sqlLiteral(keyList)} || '), so it cannot name a ' || ${noun} || '.'
           WHEN ${has(sources[0]!)} AND ${sources[0]!.alias}.c IS NULL THEN
             'No ' || ${noun} || ' with id "' || (live.keys ->> 'id') || '" exists in this organization.'
           WHEN ${namingCount} > 1 THEN
             ${naming(sources, 'key')} || ' "' || ${naming(sources, 'value')} || '" matches ' || ${namingCount}
               || ' records; give the id or a key that matches exactly one ' || ${noun} || '.'
           WHEN ${keysDisagree(sources)} THEN
             'The row''s keys name different records: ' || ${uniqueMatchList(sources)} || '.'
           ELSE
             'No ' || ${noun} || ' matches ' || ${naming(sources, 'key')} || ' "' || ${naming(sources, 'value')} || '".'
         END AS message,
         CASE WHEN ${namingCount} = 1 THEN ${naming(sources, 'id')} END AS record_id
       FROM live
       ${identityJoins(def, sources, ranged)}
     ), errors AS (
       INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       -- The raw row only for the rows removed: carried through the joins, it would be hashed
       -- with every row of the file.
       SELECT $1, d.row, 'transforming', d.code, d.field, d.message, (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = d.row)
       FROM decided d WHERE d.code IS NOT NULL
       RETURNING 1
     ), resolved AS (
       INSERT INTO import_row_ids (import_id, row, record_id, is_new)
       SELECT $1, d.row, coalesce(d.record_id, gen_id(${sqlLiteral(def.prefix)})), d.record_id IS NULL
       FROM decided d WHERE d.code IS NULL
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM resolved)::int AS resolved`,
    [imp.id, imp.organization_id, imp.action, from, to],
  );
  return { removed: res.rows[0]?.errors ?? 0 };
}
