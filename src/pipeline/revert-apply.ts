import type { Queryable } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import type { Stats } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { liveRow } from '../staging/working-rows.js';
import { recordData, removeRecords, removeRecordsStatements } from './remove-records.js';
import type { RevertParams } from './revert-changes.js';

// A revert's processing, per resource its staged rows name, in this order (one transaction,
// see revert-phases.ts):
//  1. records the reverted import deleted are inserted again: same id, the values it deleted,
//     and the created_at they had (their record.created event was written in the transaction
//     that created them, so its time is theirs);
//  2. records it updated get their before-values back (unchanged when they have them already);
//  3. records it created are deleted the way deletes always are (remove-records.ts): references
//     to them are cleared, with events; one another record requires is kept (still_referenced).
// Restores come first, so a reference a restored record holds points at a record that is back.
// Every change writes its event, with the revert's import id. A staged row whose record cannot
// be undone gets a row error: inserted again while its external_id belongs to another record
// now (`ambiguous_identity`), updated back while it no longer exists (`not_found`); both are
// conflicts, reached only with force.

const RESTORED = 'processing';

/** The revert's live rows of one resource and change, with the values to restore as a row of its table. */
function rowsOf(def: ResourceDefinition, p: RevertParams, change: 'deleted' | 'updated'): SqlFragment {
  return sql`SELECT r.row, r.raw ->> 'record_id' AS id, jsonb_populate_record(NULL::${sql.ident(def.table)}, r.raw -> 'before') AS v, r.raw
     FROM import_rows r WHERE ${liveRow(p.revertId)} AND r.raw ->> 'resource' = ${def.name} AND r.raw ->> 'change' = ${change}`;
}

/** Locks the records of `def` the revert's rows name, before conflicts are looked for. */
export function lockRevertedRecordsSql(def: ResourceDefinition, p: RevertParams): SqlFragment {
  return sql`SELECT t.id FROM ${sql.ident(def.table)} t
     WHERE t.organization_id = ${p.organizationId} AND t.id IN (
       SELECT r.raw ->> 'record_id' FROM import_rows r WHERE ${liveRow(p.revertId)} AND r.raw ->> 'resource' = ${def.name})
     ORDER BY t.id FOR UPDATE OF t`;
}

// The statements below never join a CTE's output against another's (`NOT EXISTS (… FROM ins)`):
// the planner has no row counts for them and took a nested loop, 30,000 × 30,000 rows. They look
// rows up in the resource's table by primary key instead.

/** 1: inserts deleted records again, with an event each; returns created, events. */
export function restoreDeletedSql(def: ResourceDefinition, p: RevertParams): SqlFragment {
  const cols = Object.keys(def.fields).map((c) => sql.ident(c));
  const list = (f: (c: ReturnType<typeof sql.ident>) => SqlFragment) => sql.join(cols.map(f), ', ');
  const table = sql.ident(def.table);
  return sql`WITH src AS (${rowsOf(def, p, 'deleted')}
     ), ins AS (
       INSERT INTO ${table} AS t (organization_id, id, ${list((c) => sql`${c}`)}, created_at, updated_at)
       SELECT ${p.organizationId}, s.id, ${list((c) => sql`(s.v).${c}`)},
              coalesce((SELECT min(e.created_at) FROM events e
                        WHERE e.organization_id = ${p.organizationId} AND e.record_id = s.id AND e.type = 'record.created'), now()),
              now()
       FROM src s
       ON CONFLICT DO NOTHING
       RETURNING t.*
     ), ev AS (
       INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), ${p.organizationId}, ${p.revertId}, ${def.name}, i.id, 'record.created', NULL, ${recordData('i')} FROM ins i
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::int AS created, (SELECT count(*) FROM ev)::int AS events`;
}

/**
 * 1's refusals, run after it: a deleted record still missing was not inserted — a record of
 * another id holds its external_id now (ids are never reused, so it cannot be its own).
 */
export function reportNotRestoredSql(def: ResourceDefinition, p: RevertParams): SqlFragment {
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.revertId}, s.row, ${RESTORED}, 'ambiguous_identity', 'external_id',
            ${def.name} || ' ' || s.id || ' was not restored: its external_id ' || coalesce('"' || (s.v).external_id || '"', '') ||
            ' belongs to another record now (created after the import that deleted it).', s.raw
     FROM (${rowsOf(def, p, 'deleted')}) s
     WHERE NOT EXISTS (SELECT 1 FROM ${sql.ident(def.table)} t WHERE t.id = s.id)`;
}

/**
 * 2's refusals, run before it: an updated record that no longer exists (deleted since) cannot
 * be given its values back.
 */
export function reportVanishedSql(def: ResourceDefinition, p: RevertParams): SqlFragment {
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.revertId}, s.row, ${RESTORED}, 'not_found', NULL,
            ${def.name} || ' ' || s.id || ' was not given its values back: it was deleted after the import that changed it.', s.raw
     FROM (${rowsOf(def, p, 'updated')}) s
     WHERE NOT EXISTS (SELECT 1 FROM ${sql.ident(def.table)} t WHERE t.id = s.id AND t.organization_id = ${p.organizationId})`;
}

/** 2: gives updated records their before-values back, with an event each; returns found, updated, events. */
export function restoreUpdatedSql(def: ResourceDefinition, p: RevertParams): SqlFragment {
  const cols = Object.keys(def.fields).map((c) => sql.ident(c));
  const list = (f: (c: ReturnType<typeof sql.ident>) => SqlFragment) => sql.join(cols.map(f), ', ');
  const table = sql.ident(def.table);
  // The records were locked by lockRevertedRecordsSql; `o` reads each one's values before.
  return sql`WITH src AS (
       SELECT s.id, s.v, ${recordData('o')} AS before
       FROM (${rowsOf(def, p, 'updated')}) s JOIN ${table} o ON o.id = s.id AND o.organization_id = ${p.organizationId}
     ), chg AS (
       UPDATE ${table} t SET ${list((c) => sql`${c} = (s.v).${c}`)}, updated_at = now()
       FROM src s
       WHERE t.id = s.id AND t.organization_id = ${p.organizationId}
         AND ROW(${list((c) => sql`t.${c}`)}) IS DISTINCT FROM ROW(${list((c) => sql`(s.v).${c}`)})
       RETURNING t.*, s.before AS _before
     ), ev AS (
       INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), ${p.organizationId}, ${p.revertId}, ${def.name}, c.id, 'record.updated', c._before, ${recordData('c')} - '_before'
       FROM chg c
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM src)::int AS found, (SELECT count(*) FROM chg)::int AS updated, (SELECT count(*) FROM ev)::int AS events`;
}

/** 3's ids: the records of `def` the reverted import created. */
export const createdIdsSql = (def: ResourceDefinition, p: RevertParams) =>
  sql`SELECT r.raw ->> 'record_id' FROM import_rows r WHERE ${liveRow(p.revertId)} AND r.raw ->> 'resource' = ${def.name} AND r.raw ->> 'change' = 'created'`;

/** Rows whose created record another record requires now: kept, with a row error. */
export function reportKeptSql(def: ResourceDefinition, p: RevertParams, kept: string[]): SqlFragment {
  return sql`INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.revertId}, r.row, ${RESTORED}, 'still_referenced', NULL,
            ${def.name} || ' ' || (r.raw ->> 'record_id') || ' was not deleted: another record requires it now. Delete or change that record first.', r.raw
     FROM import_rows r WHERE ${liveRow(p.revertId)} AND r.raw ->> 'resource' = ${def.name} AND r.raw ->> 'change' = 'created'
       AND r.raw ->> 'record_id' = ANY(${sql.param(kept, 'ids kept')}::text[])`;
}

/** Steps 1 and 2 for the rows of one resource; returns the counters they add to the stats. */
export async function restoreResource(tx: Queryable, def: ResourceDefinition, p: RevertParams): Promise<Partial<Stats>> {
  const back = (await tx.query<{ created: number; events: number }>(restoreDeletedSql(def, p))).rows[0]!;
  await tx.query(reportNotRestoredSql(def, p));
  await tx.query(reportVanishedSql(def, p));
  const restored = (await tx.query<{ found: number; updated: number; events: number }>(restoreUpdatedSql(def, p))).rows[0]!;
  return { created: back.created, updated: restored.updated, unchanged: restored.found - restored.updated, events: back.events + restored.events };
}

/** Step 3 for the rows of one resource, after every resource's restores; returns its counters. */
export async function removeCreated(tx: Queryable, def: ResourceDefinition, p: RevertParams): Promise<Partial<Stats>> {
  const rows = (await tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM (${createdIdsSql(def, p)}) c`)).rows[0]?.n ?? 0;
  if (rows === 0) return {};
  const removal = await removeRecords(tx, def, { importId: p.revertId, organizationId: p.organizationId }, createdIdsSql(def, p));
  // removeRecords' working table lives until commit; another resource's removal makes its own.
  await tx.query(sql`DROP TABLE doomed`);
  if (removal.kept.length > 0) await tx.query(reportKeptSql(def, p, removal.kept));
  // Created records someone deleted since (a forced revert) are gone already: nothing to undo.
  const gone = rows - removal.deleted - removal.kept.length;
  return { deleted: removal.deleted, unchanged: gone, events: removal.events };
}

/** Every statement of a revert's processing for one resource, in order (sql:print). */
export function revertResourceStatements(def: ResourceDefinition, p: RevertParams): { name: string; statement: SqlFragment }[] {
  return [
    { name: 'lockRevertedRecords', statement: lockRevertedRecordsSql(def, p) },
    { name: 'restoreDeleted', statement: restoreDeletedSql(def, p) },
    { name: 'reportNotRestored', statement: reportNotRestoredSql(def, p) },
    { name: 'reportVanished', statement: reportVanishedSql(def, p) },
    { name: 'restoreUpdated', statement: restoreUpdatedSql(def, p) },
    ...removeRecordsStatements(def, { importId: p.revertId, organizationId: p.organizationId }, createdIdsSql(def, p)).map((s) => ({
      ...s,
      name: `removeRecords.${s.name}`,
    })),
    { name: 'reportKept', statement: reportKeptSql(def, p, ['sample_kept_id']) },
  ];
}
