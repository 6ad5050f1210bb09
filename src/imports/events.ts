import type { Db } from '../db/db.js';
import type { ResourceName } from '../resources/resource.js';
import { cappedCount, countRows, finishPage, keyset, pageMode, Params, readPlanned, type Page, type PageRequest } from './list-page.js';

export const EVENT_TYPES = ['record.created', 'record.updated', 'record.deleted'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventView {
  id: string;
  object: 'event';
  type: EventType;
  resource: ResourceName;
  record_id: string;
  import_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  created_at: number;
}

export interface EventQuery extends PageRequest {
  import_id?: string | undefined;
  record_id?: string | undefined;
  type?: EventType | undefined;
  /** Epoch seconds: events created at or after. */
  since?: number | undefined;
}

/**
 * Event ids start with the epoch milliseconds of their creation as 12 hex digits (gen_id in SQL,
 * UUIDv7 in code), taken no earlier than the transaction's now() that created_at records. So
 * every event created at or after `since` has an id at or above this bound, and `since` becomes
 * a range on the index the list is read in, instead of a filter over every older event.
 */
function firstIdAtOrAfter(sinceSeconds: number): string {
  return `evt_${Math.max(0, Math.floor(sinceSeconds * 1000)).toString(16).padStart(12, '0')}`;
}

/** Change events of an organization, oldest first (ids are time-ordered), filtered. */
export async function listEvents(db: Db, organizationId: string, q: EventQuery): Promise<Page<EventView>> {
  const mode = pageMode(q);
  const params = new Params();
  const conds = [`organization_id = ${params.add(organizationId)}`];
  if (q.import_id !== undefined) conds.push(`import_id = ${params.add(q.import_id)}`);
  if (q.record_id !== undefined) conds.push(`record_id = ${params.add(q.record_id)}`);
  if (q.type !== undefined) conds.push(`type = ${params.add(q.type)}`);
  if (q.since !== undefined) {
    conds.push(`id >= ${params.add(firstIdAtOrAfter(q.since))}`);
    conds.push(`created_at >= to_timestamp(${params.add(q.since)})`);
  }
  const where = conds.join(' AND ');
  const countParams = [...params.values];
  const page = keyset(mode, 'id', q.limit, params);
  return readPlanned(db, async (tx) => {
    const rows = await tx.query<EventView & { capped_count?: number }>(
      `SELECT id, 'event' AS object, type, resource, record_id, import_id, before, after,
              floor(extract(epoch FROM created_at))::float8 AS created_at, ${cappedCount('events', where, 'id')} AS capped_count
       FROM events WHERE ${where} AND ${page.where} ORDER BY ${page.orderBy} ${page.limit}`,
      params.values,
    );
    const total = await countRows(tx, 'events', where, countParams, { exact: q.include_total ?? false, orderBy: 'id', counted: rows.rows[0]?.capped_count });
    for (const r of rows.rows) delete r.capped_count;
    return finishPage(rows.rows, mode, q.limit, total);
  });
}
