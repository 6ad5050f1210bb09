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
    // A running phase shows the work it has done, committed or not (lifecycle/live-progress.ts).
    `SELECT import_id, name, mode, status, total, processed, CASE WHEN live THEN greatest(processed - error, 0) ELSE success END AS success, error,
       started_at, completed_at
     FROM (
       SELECT p.import_id, p.position, p.name, p.mode, p.status, p.total, p.success, p.error,
         p.status = 'running' AND coalesce(l.processed, 0) > p.processed AS live,
         CASE WHEN p.status = 'running' THEN least(greatest(p.processed, coalesce(l.processed, 0)), greatest(p.total, p.processed)) ELSE p.processed END AS processed,
         ${epoch('p.started_at')} AS started_at, ${epoch('p.completed_at')} AS completed_at
       FROM import_phases p LEFT JOIN import_phase_live l ON l.import_id = p.import_id AND l.position = p.position
       WHERE p.import_id = ANY($1::text[])
     ) x ORDER BY import_id, position`,
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

