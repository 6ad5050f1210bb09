import { sql, type SqlFragment } from '../db/sql.js';
import type { Queryable } from '../db/db.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { StatementParams } from './statement-params.js';
import { recordScopeCount as storeScopeCount } from '../lifecycle/import-facts.js';

/**
 * Counts the records an overwrite covers before it writes anything (in processing's own
 * transaction), so cleanup's mass-delete guard compares against what existed — not against a
 * scope that rows created or moved into in the meantime.
 */
export async function recordScopeCount(tx: Queryable, def: ResourceDefinition, p: StatementParams): Promise<void> {
  const res = await tx.query<{ n: number }>(countScopeSql(def, p));
  await storeScopeCount(tx, p.importId.value as string, res.rows[0]?.n ?? 0);
}

export const countScopeSql = (def: ResourceDefinition, p: StatementParams) =>
  sql`SELECT count(*)::int AS n FROM ${sql.ident(def.table)} t WHERE ${scopeCondition(def, p)}`;

/** Records the overwrite covers (over `t`): the organization's, at the import's location for resources tied to one. */
export function scopeCondition(def: ResourceDefinition, p: Pick<StatementParams, 'organizationId' | 'locationId'>): SqlFragment {
  const org = sql`t.organization_id = ${p.organizationId}`;
  // location_id was checked at creation to be one of the organization's location ids.
  return def.locationField && p.locationId ? sql`${org} AND t.${sql.ident(def.locationField)} = ${p.locationId}` : org;
}
