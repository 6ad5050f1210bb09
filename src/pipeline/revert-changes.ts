import type { Queryable } from '../db/db.js';
import { sql, type SqlFragment, type SqlParam } from '../db/sql.js';
import { RESOURCES } from '../resources/index.js';
import { liveRow } from '../staging/working-rows.js';

// What a revert works from (issue 16): the change events of the import it takes back. Per
// record that import touched — of its own resource, and of the others its deletes cascaded to
// (references cleared: record.updated events on contacts, groups…) — its *net* change: the
// values before its first event and after its last. `change` says what the import did:
// `created` (no before), `deleted` (no after), `updated`. Undoing is then: created → delete,
// updated → the before-values back, deleted → inserted again with the same id and values.
//
// A conflict is a record the import changed that something else changed since: a later event
// on the same record id by another import (`changed_since`, or `deleted_since` when the latest
// is a deletion), or, for a record to be inserted again, another record holding its
// external_id now (`external_id_taken`).

/** The ids a revert's statements take: the revert, the import it reverts, their organization. */
export interface RevertParams {
  revertId: SqlParam;
  revertedId: SqlParam;
  organizationId: SqlParam;
}

export function revertParams(r: { id: string; organization_id: string; reverts: string }): RevertParams {
  return {
    revertId: sql.param(r.id, 'revert import id'),
    revertedId: sql.param(r.reverts, 'reverted import id'),
    organizationId: sql.param(r.organization_id, 'organization id'),
  };
}

/**
 * The reverted import's net change per record: (resource, record_id, change, before, after,
 * event_id = its last event on the record). A record it created and deleted again is left out.
 */
export function netChangesSql(p: Pick<RevertParams, 'revertedId' | 'organizationId'>): SqlFragment {
  return sql`SELECT c.resource, c.record_id,
       CASE WHEN c.before IS NULL THEN 'created' WHEN c.after IS NULL THEN 'deleted' ELSE 'updated' END AS change,
       c.before, c.after, c.event_id
     FROM (
       SELECT e.resource, e.record_id,
              first_value(e.before) OVER w AS before, last_value(e.after) OVER w AS after, last_value(e.id) OVER w AS event_id,
              row_number() OVER w AS n
       FROM events e WHERE e.organization_id = ${p.organizationId} AND e.import_id = ${p.revertedId}
       WINDOW w AS (PARTITION BY e.resource, e.record_id ORDER BY e.created_at, e.id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
     ) c
     WHERE c.n = 1 AND NOT (c.before IS NULL AND c.after IS NULL)`;
}

/** The columns of a staged revert row, by name, from import_rows `r` (see stageRevertRowsSql). */
export const STAGED_CHANGE = sql`r.row, r.raw ->> 'resource' AS resource, r.raw ->> 'record_id' AS record_id, r.raw ->> 'change' AS change,
       r.raw -> 'before' AS before, r.raw -> 'after' AS after, r.raw ->> 'event_id' AS event_id`;

/** The revert's live staged rows as changes. */
export const stagedChangesSql = (p: Pick<RevertParams, 'revertId'>) => sql`SELECT ${STAGED_CHANGE} FROM import_rows r WHERE ${liveRow(p.revertId)}`;

/** The columns of the errors file and of `raw`: one staged row per record to undo. */
export const REVERT_ROW_HEADERS = ['resource', 'record_id', 'change', 'before', 'after', 'event_id'] as const;

/**
 * Stages one working row per net change, numbered in (resource, record id) order, so that
 * a run that stages again stages the same rows. `vals` holds the values to restore.
 */
export function stageRevertRowsSql(p: RevertParams): SqlFragment {
  return sql`INSERT INTO import_rows (import_id, row, line, raw, vals, keys, ident)
     SELECT ${p.revertId}, row_number() OVER (ORDER BY c.resource, c.record_id), NULL,
            jsonb_build_object('resource', c.resource, 'record_id', c.record_id, 'change', c.change, 'before', c.before, 'after', c.after, 'event_id', c.event_id),
            c.before, jsonb_build_object('id', c.record_id), 'id:' || c.record_id
     FROM (${netChangesSql(p)}) c`;
}

/**
 * The conflicts among `changes` (a SELECT with the columns of netChangesSql): one line per
 * conflict, in (resource, record id) order. Events of the revert itself never count.
 */
export function conflictsSql(changes: SqlFragment, p: RevertParams): SqlFragment {
  const later = sql`SELECT c.resource, c.record_id, c.change,
         CASE WHEN l.type = 'record.deleted' THEN 'deleted_since' ELSE 'changed_since' END AS conflict,
         l.id AS later_event_id, l.import_id AS later_import_id, NULL::text AS other_record_id
       FROM ch c JOIN events o ON o.id = c.event_id
       CROSS JOIN LATERAL (
         SELECT e.id, e.import_id, e.type FROM events e
         WHERE e.organization_id = ${p.organizationId} AND e.record_id = c.record_id AND (e.created_at, e.id) > (o.created_at, o.id)
           AND e.import_id IS DISTINCT FROM ${p.revertedId} AND e.import_id IS DISTINCT FROM ${p.revertId}
         ORDER BY e.created_at DESC, e.id DESC LIMIT 1
       ) l`;
  const taken = RESOURCES.map(
    (def) => sql`SELECT c.resource, c.record_id, c.change, 'external_id_taken' AS conflict, NULL::text, NULL::text, t.id
       FROM ch c JOIN ${sql.ident(def.table)} t
         ON t.organization_id = ${p.organizationId} AND t.external_id = c.before ->> 'external_id' AND t.id <> c.record_id
       WHERE c.resource = ${def.name} AND c.change = 'deleted'`,
  );
  return sql`WITH ch AS (${changes})
     SELECT * FROM (${sql.join([later, ...taken], ' UNION ALL ')}) x ORDER BY x.resource, x.record_id, x.conflict`;
}

export interface RevertConflict {
  resource: string;
  record_id: string;
  change: 'created' | 'updated' | 'deleted';
  conflict: 'changed_since' | 'deleted_since' | 'external_id_taken';
  later_event_id: string | null;
  later_import_id: string | null;
  other_record_id: string | null;
}

/** A page of conflicts (`limit` + 1 read, to tell whether more follow) and how many there are in all. */
export async function readConflicts(db: Queryable, changes: SqlFragment, p: RevertParams, offset: number, limit: number): Promise<{ rows: RevertConflict[]; total: number }> {
  const all = conflictsSql(changes, p);
  const page = await db.query<RevertConflict>(sql`${all} OFFSET ${offset} LIMIT ${limit}`);
  const count = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM (${all}) a`);
  return { rows: page.rows, total: count.rows[0]?.n ?? 0 };
}

/**
 * The mass-delete guard's numbers for `changes`: records of `table` the revert would delete
 * (created by the reverted import and still there) against the records of it there are now.
 */
export function deletionShareSql(changes: SqlFragment, table: string, p: Pick<RevertParams, 'organizationId'>): SqlFragment {
  const t = sql.ident(table);
  return sql`SELECT (SELECT count(*) FROM (${changes}) c JOIN ${t} x ON x.organization_id = ${p.organizationId} AND x.id = c.record_id
                     WHERE c.change = 'created')::int AS doomed,
                    (SELECT count(*) FROM ${t} x WHERE x.organization_id = ${p.organizationId})::int AS existing`;
}
