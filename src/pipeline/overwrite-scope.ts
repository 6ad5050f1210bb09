import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../imports/import-types.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { sqlLiteral } from './working-rows.js';

/**
 * Counts the records an overwrite covers before it writes anything (in processing's own
 * transaction), so cleanup's mass-delete guard compares against what existed — not against a
 * scope that rows created or moved into in the meantime.
 */
export async function recordScopeCount(tx: Queryable, imp: ImportRecord, def: ResourceDefinition): Promise<void> {
  await tx.query(
    `UPDATE imports SET scope_count_before = (SELECT count(*) FROM ${def.table} t WHERE ${scopeCondition(imp, def)}) WHERE id = $1`,
    [imp.id, imp.organization_id],
  );
}

/** Records the overwrite covers: the organization's, at the import's location for resources tied to one. */
export function scopeCondition(imp: ImportRecord, def: ResourceDefinition): string {
  const org = 't.organization_id = $2';
  // location_id was checked at creation to be one of the organization's location ids.
  return def.locationField && imp.location_id ? `${org} AND t.${def.locationField} = ${sqlLiteral(imp.location_id)}` : org;
}
