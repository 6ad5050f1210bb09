import { sql, type SqlFragment } from '../db/sql.js';
import type { RowErrorCode } from '../errors.js';
import type { Action } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { collectWantedKeys, collectWantedKeysSql, has, identityJoins, identitySources, keysDisagree, matched, naming, uniqueMatchList, wantedKeysCte } from './identity-sql.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { unmappedHeadersSql } from './unmapped-headers-sql.js';
import { analyzeWorkingRows, liveRowsIn } from '../staging/working-rows.js';

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
  const p = statementParams(imp, from, to);
  await collectWantedKeys(tx, identitySources(def), p, { ranged });
  const res = await tx.query<{ errors: number }>(resolveIdentitiesSql(def, imp.action, p, { ranged }));
  return { removed: res.rows[0]?.errors ?? 0 };
}

/** Every statement of the phase, in order (sql:print). */
export function transformingStatements(def: ResourceDefinition, action: Action, p: StatementParams, opts: { ranged: boolean }) {
  return [
    ...collectWantedKeysSql(identitySources(def), p, opts).map((statement) => ({ name: 'collectWantedKeys', statement })),
    { name: 'resolveIdentities', statement: resolveIdentitiesSql(def, action, p, opts) },
  ];
}

/**
 * The decision for each row: the first rule whose condition holds gives its error code and
 * message; no rule = resolved. One list, so a code and its message cannot part.
 */
function identityRules(def: ResourceDefinition, p: StatementParams): { code: RowErrorCode; when: SqlFragment; message: SqlFragment }[] {
  const sources = identitySources(def);
  const [byId] = sources;
  const namingCount = naming(sources, 'c');
  const anyKey = sql.join(sources.map(has), ' OR ');
  const keyList = sources.map((s) => s.key).join(', ');
  const noun = def.name;
  return [
    {
      code: 'missing_identity',
      when: sql`NOT (${anyKey})`,
      message: sql`'The row has no id and no value for any lookup key (' || ${keyList} || '), so it cannot name a ' || ${noun} || '.'
        || coalesce(' Columns of the file that map to no field: ' || (${unmappedHeadersSql(p)}) || '; if one of them holds a lookup key, name it in column_mapping.', '')`,
    },
    {
      code: 'not_found',
      when: sql`${has(byId!)} AND ${matched(byId!, 'c')} IS NULL`,
      message: sql`'No ' || ${noun} || ' with id "' || (live.keys ->> 'id') || '" exists in this organization.'`,
    },
    {
      code: 'ambiguous_identity',
      when: sql`${namingCount} > 1`,
      message: sql`${naming(sources, 'key')} || ' "' || ${naming(sources, 'value')} || '" matches ' || ${namingCount}
               || ' records; give the id or a key that matches exactly one ' || ${noun} || '.'`,
    },
    {
      code: 'ambiguous_identity',
      when: keysDisagree(sources),
      message: sql`'The row''s keys name different records: ' || ${uniqueMatchList(sources)} || '.'`,
    },
    {
      code: 'not_found',
      when: sql`${namingCount} IS NULL AND ${p.action} = 'delete'`,
      message: sql`'No ' || ${noun} || ' matches ' || ${naming(sources, 'key')} || ' "' || ${naming(sources, 'value')} || '".'`,
    },
  ];
}

export function resolveIdentitiesSql(def: ResourceDefinition, _action: Action, p: StatementParams, { ranged }: { ranged: boolean }): SqlFragment {
  const sources = identitySources(def);
  const rules = identityRules(def, p);
  const anyKey = sql.join(sources.map(has), ' OR ');
  const codeCase = sql.join(
    rules.map((r) => sql`WHEN ${r.when} THEN ${r.code}`),
    '\n           ',
  );
  // The message of the last rule is the ELSE: the CASE is read only where a code was given.
  const messageCase = sql.join(
    rules.map((r, i) => (i === rules.length - 1 ? sql`ELSE\n             ${r.message}` : sql`WHEN ${r.when} THEN\n             ${r.message}`)),
    '\n           ',
  );
  return sql`WITH ${wantedKeysCte(sources, p, { ranged })}live AS (
       SELECT r.row, r.keys FROM import_rows r WHERE ${liveRowsIn(p)}
     ), decided AS (
       SELECT live.row,
         CASE
           ${codeCase}
         END AS code,
         CASE WHEN ${anyKey} THEN ${naming(sources, 'key')} END AS field,
         CASE
           ${messageCase}
         END AS message,
         CASE WHEN ${naming(sources, 'c')} = 1 THEN ${naming(sources, 'id')} END AS record_id
       FROM live
       ${identityJoins(def, sources, p, ranged)}
     ), errors AS (
       INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
       -- The raw row only for the rows removed: carried through the joins, it would be hashed
       -- with every row of the file.
       SELECT ${p.importId}, d.row, 'transforming', d.code, d.field, d.message, (SELECT x.raw FROM import_rows x WHERE x.import_id = ${p.importId} AND x.row = d.row)
       FROM decided d WHERE d.code IS NOT NULL
       RETURNING 1
     ), resolved AS (
       INSERT INTO import_row_ids (import_id, row, record_id, is_new)
       SELECT ${p.importId}, d.row, coalesce(d.record_id, gen_id(${def.prefix})), d.record_id IS NULL
       FROM decided d WHERE d.code IS NULL
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM resolved)::int AS resolved`;
}
