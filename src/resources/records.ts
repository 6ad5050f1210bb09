import type { Queryable } from '../db/db.js';
import type { ResourceDefinition } from './resource.js';

// Reading an organization's records. Rows are turned into JSON by the database (to_jsonb), so
// numbers, dates and arrays look the same on both engines; timestamps become epoch seconds.

export async function listRecords(
  db: Queryable,
  def: ResourceDefinition,
  organizationId: string,
  p: { page: number; limit: number },
): Promise<{ rows: Record<string, unknown>[]; total: number }> {
  const [rows, count] = await Promise.all([
    db.query<{ record: Record<string, unknown> }>(
      `SELECT (to_jsonb(t) - 'organization_id') || jsonb_build_object(
                'created_at', floor(extract(epoch FROM t.created_at)),
                'updated_at', floor(extract(epoch FROM t.updated_at))) AS record
       FROM ${def.table} t WHERE t.organization_id = $1 ORDER BY t.id LIMIT $2 OFFSET $3`,
      [organizationId, p.limit, (p.page - 1) * p.limit],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${def.table} WHERE organization_id = $1`, [organizationId]),
  ]);
  return { rows: rows.rows.map((r) => ({ id: r.record.id, object: def.name, ...r.record })), total: count.rows[0]?.n ?? 0 };
}
