import type { Queryable } from '../db/db.js';
import type { ImportRecord, PhaseRecord } from '../domain/import.js';
import { epoch, IMPORT_COLUMNS } from '../lifecycle/import-record.js';

// Reads of `imports` and `import_phases` on behalf of a client: every query takes the
// organization id, so another organization's import is simply "not found". (Every write is
// the lifecycle's, src/lifecycle/.)

export async function findImport(db: Queryable, organizationId: string, id: string): Promise<ImportRecord | null> {
  const res = await db.query<ImportRecord>(
    `SELECT ${IMPORT_COLUMNS} FROM imports WHERE organization_id = $1 AND id = $2`,
    [organizationId, id],
  );
  return res.rows[0] ?? null;
}

export async function findPhases(db: Queryable, importIds: readonly string[]): Promise<Map<string, PhaseRecord[]>> {
  const res = await db.query<PhaseRecord & { import_id: string }>(
    `SELECT import_id, name, mode, status, total, processed, success, error,
       ${epoch('started_at')} AS started_at, ${epoch('completed_at')} AS completed_at
     FROM import_phases WHERE import_id = ANY($1::text[]) ORDER BY import_id, position`,
    [importIds],
  );
  const out = new Map<string, PhaseRecord[]>();
  for (const { import_id, ...p } of res.rows) {
    const list = out.get(import_id) ?? [];
    list.push(p);
    out.set(import_id, list);
  }
  return out;
}

