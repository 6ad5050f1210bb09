import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { recordScopeCount as storeScopeCount } from '../lifecycle/import-facts.js';
import { sqlLiteral } from '../staging/working-rows.js';

/**
 * Counts the records an overwrite covers before it writes anything (in processing's own
 * transaction), so cleanup's mass-delete guard compares against what existed — not against a
 * scope that rows created or moved into in the meantime.
 */
export async function recordScopeCount(tx: Queryable, imp: ImportRecord, def: ResourceDefinition): Promise<void> {
  // $1 is the import id in every phase statement (scopeCondition names the organization $2).
  const res = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${def.table} t WHERE ${scopeCondition(imp, def)} AND $1::text IS NOT NULL`,
    [imp.id, imp.organization_id],
  );
  await storeScopeCount(tx, imp.id, res.rows[0]?.n ?? 0);
}

/** Records the overwrite covers: the organization's, at the import's location for resources tied to one. */
export function scopeCondition(imp: ImportRecord, def: ResourceDefinition): string {
  const org = 't.organization_id = $2';
  // location_id was checked at creation to be one of the organization's location ids.
  return def.locationField && imp.location_id ? `${org} AND t.${def.locationField} = ${sqlLiteral(imp.location_id)}` : org;
}
