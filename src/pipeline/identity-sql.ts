import { ID_FIELD, type ResourceDefinition } from '../resources/resource.js';
import type { Queryable } from '../db/db.js';
import { liveRowsIn, sqlLiteral } from '../staging/working-rows.js';

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
 */
export async function collectWantedKeys(
  tx: Queryable,
  importId: string,
  sources: IdentitySource[],
  { from, to, ranged }: { from: number; to: number; ranged: boolean },
): Promise<void> {
  const filtered = sources.filter((s) => !joinedDirectly(s.key, ranged));
  if (filtered.length === 0) return;
  const pairs = filtered.map(({ key }) => `(${sqlLiteral(key)}, r.keys ->> ${sqlLiteral(key)})`).join(', ');
  await tx.query('CREATE TEMPORARY TABLE wanted_keys (key text, v text) ON COMMIT DROP');
  await tx.query(
    `INSERT INTO wanted_keys
     SELECT k.key, k.v FROM import_rows r CROSS JOIN LATERAL (VALUES ${pairs}) k(key, v)
     WHERE ${liveRowsIn('$2', '$3')} AND k.v IS NOT NULL GROUP BY k.key, k.v`,
    [importId, from, to],
  );
  await tx.query('ANALYZE wanted_keys');
}

/**
 * LEFT JOINs of each source's match set onto the CTE `live` (which has `keys`); `$2` is the
 * organization. Columns: v (the key's value), c (how many records have it), id (one of them).
 */
export function identityJoins(def: ResourceDefinition, sources: IdentitySource[], ranged: boolean): string {
  return sources
    .map(({ key, alias }) => {
      const on = `ON ${alias}.v = live.keys ->> ${sqlLiteral(key)}`;
      if (joinedDirectly(key, ranged)) {
        return `LEFT JOIN (SELECT ${key} AS v, 1 AS c, id FROM ${def.table} WHERE organization_id = $2) ${alias} ${on}`;
      }
      const wanted = `${key} IN (SELECT w.v FROM wanted_keys w WHERE w.key = ${sqlLiteral(key)})`;
      return UNIQUE_KEYS.has(key)
        ? `LEFT JOIN (SELECT ${key} AS v, 1 AS c, id FROM ${def.table} WHERE organization_id = $2 AND ${wanted}) ${alias} ${on}`
        : `LEFT JOIN (SELECT ${key} AS v, count(*)::int AS c, min(id) AS id FROM ${def.table}
                      WHERE organization_id = $2 AND ${wanted} GROUP BY ${key}) ${alias} ${on}`;
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
