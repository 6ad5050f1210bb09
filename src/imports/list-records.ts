import type { Db } from '../db/db.js';
import { cappedCount, countRows, finishPage, keyset, Params, readPlanned, type Page, type PageMode } from './list-page.js';
import type { ResourceDefinition } from '../resources/resource.js';

// Reading an organization's records, a keyset page at a time (see list-page.ts). The
// inner query picks the page's rows by index; only those rows are turned into JSON, by the
// database (to_jsonb), so numbers, dates and arrays look the same on both engines; timestamps
// become epoch seconds.

export interface RecordFilter {
  id?: string | undefined;
  /** Lookup key → value, already normalised as stored (trimmed, emails lower-cased). */
  keys: Readonly<Record<string, string>>;
  /** Epoch seconds: records updated at or after. */
  updatedSince?: number | undefined;
}

export type RecordJson = Record<string, unknown> & { id: string };

export async function listRecords(
  db: Db,
  def: ResourceDefinition,
  organizationId: string,
  filter: RecordFilter,
  mode: PageMode<string>,
  limit: number,
  exactTotal: boolean,
): Promise<Page<RecordJson>> {
  const params = new Params();
  const conds = [`organization_id = ${params.add(organizationId)}`];
  if (filter.id !== undefined) conds.push(`id = ${params.add(filter.id)}`);
  // Column names come from the definition (the caller checked each key is one of its lookup keys).
  for (const [key, value] of Object.entries(filter.keys)) {
    if (!def.lookupKeys.includes(key)) throw new Error(`${key} is not a lookup key of ${def.name}`);
    conds.push(`${key} = ${params.add(value)}`);
  }
  if (filter.updatedSince !== undefined) conds.push(`updated_at >= to_timestamp(${params.add(filter.updatedSince)})`);
  const where = conds.join(' AND ');
  const countParams = [...params.values];
  const page = keyset(mode, 'id', limit, params);
  return readPlanned(db, async (tx) => {
    const rows = await tx.query<{ record: RecordJson; capped_count: number }>(
      `SELECT (to_jsonb(t) - 'organization_id') || jsonb_build_object(
                'object', ${params.add(def.name)}::text,
                'created_at', floor(extract(epoch FROM t.created_at)),
                'updated_at', floor(extract(epoch FROM t.updated_at))) AS record,
              ${cappedCount(def.table, where, 'id')} AS capped_count
       FROM (SELECT * FROM ${def.table} WHERE ${where} AND ${page.where} ORDER BY ${page.orderBy} ${page.limit}) t
       ORDER BY ${page.orderBy}`,
      params.values,
    );
    const total = await countRows(tx, def.table, where, countParams, { exact: exactTotal, orderBy: 'id', counted: rows.rows[0]?.capped_count });
    return finishPage(rows.rows.map((r) => r.record), mode, limit, total);
  });
}
