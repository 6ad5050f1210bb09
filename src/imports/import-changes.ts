import type { Db } from '../db/db.js';
import type { ResourceName } from '../resources/resource.js';
import { cappedCount, countRows, finishPage, keyset, pageMode, Params, readPlanned, type Page, type PageRequest } from './list-page.js';
import { requireImport } from './read-imports.js';

// GET /v1/imports/{id}/changes (issue 16): what an import did to records — or, for a dry run,
// what it would do — one item per record change, in the order the changes were made. A real
// import's changes are its events; a dry run's are its forecast of them (forecast_events, same
// columns: pipeline/dry-run.ts), so both read the same way and look the same.

export const CHANGE_KINDS = ['created', 'updated', 'deleted'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeView {
  /** The event's id (a dry run: the id its forecast got; no event exists). */
  id: string;
  object: 'change';
  change: ChangeKind;
  resource: ResourceName;
  record_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface ChangeQuery extends PageRequest {
  change?: ChangeKind | undefined;
  record_id?: string | undefined;
}

export async function listImportChanges(db: Db, organizationId: string, importId: string, q: ChangeQuery): Promise<Page<ChangeView>> {
  const imp = await requireImport(db, organizationId, importId);
  const mode = pageMode(q);
  const params = new Params();
  // Fixed table names; both are read by (organization, import, id) order.
  const table = imp.dry_run ? 'forecast_events' : 'events';
  const conds = [`organization_id = ${params.add(organizationId)}`, `import_id = ${params.add(imp.id)}`];
  if (q.change !== undefined) conds.push(`type = ${params.add(`record.${q.change}`)}`);
  if (q.record_id !== undefined) conds.push(`record_id = ${params.add(q.record_id)}`);
  const where = conds.join(' AND ');
  const countParams = [...params.values];
  const page = keyset(mode, 'id', q.limit, params);
  return readPlanned(db, async (tx) => {
    const rows = await tx.query<ChangeView & { capped_count?: number }>(
      `SELECT id, 'change' AS object, substr(type, 8) AS change, resource, record_id, before, after,
              ${cappedCount(table, where, 'id')} AS capped_count
       FROM ${table} WHERE ${where} AND ${page.where} ORDER BY ${page.orderBy} ${page.limit}`,
      params.values,
    );
    const total = await countRows(tx, table, where, countParams, { exact: q.include_total ?? false, orderBy: 'id', counted: rows.rows[0]?.capped_count });
    for (const r of rows.rows) delete r.capped_count;
    return finishPage(rows.rows, mode, q.limit, total);
  });
}
