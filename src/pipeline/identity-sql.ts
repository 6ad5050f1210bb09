import { ID_FIELD, type ResourceDefinition } from '../resources/resource.js';
import type { Queryable } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import type { StatementParams } from './statement-params.js';
import { liveRowsIn } from '../staging/working-rows.js';

// SQL pieces for resolving a row's identity against the resource's table, derived from the
// definition: one aggregated join per identity source (id, then each lookup key in order), so
// a million rows resolve with hash joins rather than a lookup per row.

export interface IdentitySource {
  key: string;
  /** Alias of the joined match set: columns c (number of matches) and id (one of them). */
  alias: string;
}

export function identitySources(def: ResourceDefinition): IdentitySource[] {
  return [ID_FIELD, ...def.lookupKeys].map((key, i) => ({ key, alias: `s${i}` }));
}

/**
 * Keys no two records of an organization share (the primary key, and the unique index on
 * (organization_id, external_id) every resource table has, migration 0002): their match sets
 * need no counting.
 */
const UNIQUE_KEYS: ReadonlySet<string> = new Set([ID_FIELD, 'external_id']);

/**
 * The key a file names its records by on (nearly) every row. When a statement resolves the
 * whole file, its rows join the record directly: collecting its values first would prune
 * nothing, and cost a pass over the file; the planner probes the index for a small file and
 * hashes the organization's records for a large one. A range of a larger file (PGlite) collects
 * them like the others, so that it reads only the records its own rows name: a range must cost
 * what its rows cost, not a pass over the organization's records.
 */
const JOINED_DIRECTLY = 'external_id';

const joinedDirectly = (key: string, ranged: boolean) => key === JOINED_DIRECTLY && !ranged;

/**
 * Collects the distinct values the import's live rows give for every other identity key into
 * the temporary table `wanted_keys`, with fresh statistics, in one scan. Their match sets read
 * only those values: none at all for `id` in a file without ids, and for a key records may
 * share (email, …) the values to count. The planner cannot estimate how many distinct values
 * an expression over the staged rows has (it guesses 200): for a million-row file it then
 * probes the index a million times instead of hashing, ten times slower. Rows `from`..`to`.
 * The statements to run in order (none when every key is joined directly).
 */
export function collectWantedKeysSql(sources: IdentitySource[], p: StatementParams, { ranged }: { ranged: boolean }): SqlFragment[] {
  const select = wantedKeysSelect(sources, p, ranged);
  // A range (PGlite) collects them in the statement that resolves it (wantedKeysCte).
  if (!select || ranged) return [];
  return [
    sql`CREATE TEMPORARY TABLE wanted_keys (key text, v text) ON COMMIT DROP`,
    sql`INSERT INTO wanted_keys
     ${select}`,
    sql`ANALYZE wanted_keys`,
  ];
}

function wantedKeysSelect(sources: IdentitySource[], p: StatementParams, ranged: boolean): SqlFragment | null {
  const filtered = sources.filter((s) => !joinedDirectly(s.key, ranged));
  if (filtered.length === 0) return null;
  const pairs = sql.join(
    filtered.map(({ key }) => sql`(${key}, r.keys ->> ${key})`),
    ', ',
  );
  return sql`SELECT k.key, k.v FROM import_rows r CROSS JOIN LATERAL (VALUES ${pairs}) k(key, v)
     WHERE ${liveRowsIn(p)} AND k.v IS NOT NULL GROUP BY k.key, k.v`;
}

/**
 * For a range: `wanted_keys` as a CTE of the statement, instead of a temporary table. A range
 * has at most a few thousand rows, so the planner's guess for a CTE (200 values) is near enough
 * to pick index probes; and on PGlite creating, analyzing and dropping a temporary table cost
 * ~20 ms per range, about a quarter of transforming's time (300k rows, statement trace).
 * Empty when the statement needs none.
 */
export function wantedKeysCte(sources: IdentitySource[], p: StatementParams, { ranged }: { ranged: boolean }): SqlFragment {
  const select = wantedKeysSelect(sources, p, ranged);
  if (!select || !ranged) return sql.empty;
  return sql`wanted_keys AS MATERIALIZED (
       ${select}
     ), `;
}

export async function collectWantedKeys(tx: Queryable, sources: IdentitySource[], p: StatementParams, opts: { ranged: boolean }): Promise<void> {
  for (const statement of collectWantedKeysSql(sources, p, opts)) await tx.query(statement);
}

/**
 * LEFT JOINs of each source's match set onto the CTE `live` (which has `keys`). Columns: v (the
 * key's value), c (how many records have it), id (one of them).
 */
export function identityJoins(def: ResourceDefinition, sources: IdentitySource[], p: Pick<StatementParams, 'organizationId'>, ranged: boolean): SqlFragment {
  const table = sql.ident(def.table);
  return sql.join(
    sources.map(({ key, alias }) => {
      const k = sql.ident(key);
      const a = sql.ident(alias);
      const on = sql`ON ${a}.v = live.keys ->> ${key}`;
      if (joinedDirectly(key, ranged)) {
        return sql`LEFT JOIN (SELECT ${k} AS v, 1 AS c, id FROM ${table} WHERE organization_id = ${p.organizationId}) ${a} ${on}`;
      }
      const wanted = sql`${k} IN (SELECT w.v FROM wanted_keys w WHERE w.key = ${key})`;
      return UNIQUE_KEYS.has(key)
        ? sql`LEFT JOIN (SELECT ${k} AS v, 1 AS c, id FROM ${table} WHERE organization_id = ${p.organizationId} AND ${wanted}) ${a} ${on}`
        : sql`LEFT JOIN (SELECT ${k} AS v, count(*)::int AS c, min(id) AS id FROM ${table}
                      WHERE organization_id = ${p.organizationId} AND ${wanted} GROUP BY ${k}) ${a} ${on}`;
    }),
    '\n       ',
  );
}

export const has = (s: IdentitySource) => sql`(live.keys ? ${s.key})`;

/** A column of a source's match set. */
export const matched = (s: IdentitySource, col: 'c' | 'id') => sql`${sql.ident(s.alias)}.${sql.ident(col)}`;

/** CASE over the naming source (the first one present) picking one of its attributes. */
export function naming(sources: IdentitySource[], col: 'c' | 'id' | 'key' | 'value'): SqlFragment {
  const pick = (s: IdentitySource) => (col === 'key' ? sql`${s.key}` : col === 'value' ? sql`(live.keys ->> ${s.key})` : matched(s, col));
  return sql`(CASE ${sql.join(
    sources.map((s) => sql`WHEN ${has(s)} THEN ${pick(s)}`),
    ' ',
  )} END)`;
}

/**
 * True when two of the row's keys each name a single record but not the same one. Pairwise
 * comparisons rather than a count over an unnest: this runs once per row of the file.
 */
export function keysDisagree(sources: IdentitySource[]): SqlFragment {
  const unique = (s: IdentitySource) => sql`CASE WHEN ${matched(s, 'c')} = 1 THEN ${matched(s, 'id')} END`;
  const pairs = sources.flatMap((a, i) => sources.slice(i + 1).map((b) => sql`coalesce(${unique(a)} <> ${unique(b)}, false)`));
  return pairs.length === 0 ? sql`false` : sql`(${sql.join(pairs, ' OR ')})`;
}

export function uniqueMatchList(sources: IdentitySource[]): SqlFragment {
  return sql`concat_ws(', ', ${sql.join(
    sources.map(
      (s) => sql`CASE WHEN ${matched(s, 'c')} = 1 THEN ${s.key} || ' "' || (live.keys ->> ${s.key}) || '" names ' || ${matched(s, 'id')} END`,
    ),
    ', ',
  )})`;
}
