import type { Queryable } from '../db/db.js';
import { page, type Page } from './read-imports.js';

export interface EventView {
  id: string;
  object: 'event';
  type: 'record.created' | 'record.updated' | 'record.deleted';
  resource: string;
  record_id: string;
  import_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  created_at: number;
}

/** Change events of an organization, oldest first (ids are time-ordered), optionally of one import. */
export async function listEvents(
  db: Queryable,
  organizationId: string,
  f: { import_id?: string; page: number; limit: number },
): Promise<Page<EventView>> {
  const where = 'organization_id = $1 AND ($2::text IS NULL OR import_id = $2)';
  const params = [organizationId, f.import_id ?? null];
  const [rows, count] = await Promise.all([
    db.query<EventView>(
      `SELECT id, 'event' AS object, type, resource, record_id, import_id, before, after,
              floor(extract(epoch FROM created_at))::float8 AS created_at
       FROM events WHERE ${where} ORDER BY id LIMIT $3 OFFSET $4`,
      [...params, f.limit, (f.page - 1) * f.limit],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE ${where}`, params),
  ]);
  return page(rows.rows, count.rows[0]?.n ?? 0, f);
}
