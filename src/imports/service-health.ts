import type { Queryable } from '../db/db.js';

/** GET /healthz: the database answers. */
export async function checkDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
