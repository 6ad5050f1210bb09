import { ID_FIELD, type ResourceDefinition } from '../resources/resource.js';
import type { Queryable } from '../db/db.js';
import { liveRowsIn, sqlLiteral } from './working-rows.js';

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
 * Collects the distinct identity values of the import's live rows into the temporary table
 * `wanted_keys`, with fresh statistics. The planner cannot estimate how many distinct values
 * an expression over the staged rows has (it guesses 200): for a million-row file it then
 * probes the index a million times instead of hashing, ten times slower. Rows `from`..`to`.
 */
export async function collectWantedKeys(tx: Queryable, importId: string, sources: IdentitySource[], from: number, to: number): Promise<void> {
  const values = sources
    .map(
      ({ key }) =>
        `SELECT DISTINCT ${sqlLiteral(key)}, r.keys ->> ${sqlLiteral(key)} FROM import_rows r
         WHERE ${liveRowsIn('$2', '$3')} AND r.keys ? ${sqlLiteral(key)}`,
    )
    .join(' UNION ALL ');
  await tx.query('CREATE TEMPORARY TABLE wanted_keys (key text, v text) ON COMMIT DROP');
  await tx.query(`INSERT INTO wanted_keys ${values}`, [importId, from, to]);
  await tx.query('ANALYZE wanted_keys');
}

/**
 * LEFT JOINs of each source's match set onto the CTE `live` (which has `keys`); `$2` is the
 * organization. Each match set only aggregates the key values the file actually contains
 * (`wanted_keys`, see above), so a small import into a large table probes the index, and a
 * large one hashes.
 */
export function identityJoins(def: ResourceDefinition, sources: IdentitySource[]): string {
  return sources
    .map(({ key, alias }) => {
      const wanted = `${key} IN (SELECT w.v FROM wanted_keys w WHERE w.key = ${sqlLiteral(key)})`;
      return key === ID_FIELD
        ? `LEFT JOIN (SELECT id AS v, 1 AS c, id FROM ${def.table} WHERE organization_id = $2 AND ${wanted}) ${alias}
             ON ${alias}.v = live.keys ->> 'id'`
        : `LEFT JOIN (SELECT ${key} AS v, count(*)::int AS c, min(id) AS id FROM ${def.table}
                      WHERE organization_id = $2 AND ${wanted} GROUP BY ${key}) ${alias}
             ON ${alias}.v = live.keys ->> ${sqlLiteral(key)}`;
    })
    .join('\n');
}

export const has = (s: IdentitySource) => `(live.keys ? ${sqlLiteral(s.key)})`;

/** CASE over the naming source (the first one present) picking one of its attributes. */
export function naming(sources: IdentitySource[], col: 'c' | 'id' | 'key' | 'value'): string {
  const pick = (s: IdentitySource) =>
    col === 'key' ? sqlLiteral(s.key) : col === 'value' ? `(live.keys ->> ${sqlLiteral(s.key)})` : `${s.alias}.${col}`;
  return `(CASE ${sources.map((s) => `WHEN ${has(s)} THEN ${pick(s)}`).join(' ')} END)`;
}

/**
 * True when two of the row's keys each name a single record but not the same one. Pairwise
 * comparisons rather than a count over an unnest: this runs once per row of the file.
 */
export function keysDisagree(sources: IdentitySource[]): string {
  const unique = (s: IdentitySource) => `CASE WHEN ${s.alias}.c = 1 THEN ${s.alias}.id END`;
  const pairs = sources.flatMap((a, i) => sources.slice(i + 1).map((b) => `coalesce(${unique(a)} <> ${unique(b)}, false)`));
  return pairs.length === 0 ? 'false' : `(${pairs.join(' OR ')})`;
}

export function uniqueMatchList(sources: IdentitySource[]): string {
  return `concat_ws(', ', ${sources
    .map((s) => `CASE WHEN ${s.alias}.c = 1 THEN ${sqlLiteral(s.key)} || ' "' || (live.keys ->> ${sqlLiteral(s.key)}) || '" names ' || ${s.alias}.id END`)
    .join(', ')})`;
}
