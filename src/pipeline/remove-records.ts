import { sql, type SqlFragment } from '../db/sql.js';
import type { Queryable } from '../db/db.js';
import { RESOURCES } from '../resources/index.js';
import { referenceTargets, type ReferenceSpec, type ResourceDefinition } from '../resources/resource.js';
import type { StatementParams } from './statement-params.js';

// Deleting records (delete action, overwrite cleanup), set-based: the ids go into a temporary
// table, references to them are cleared first — removed from many-references, set to null in
// optional single ones — and every changed or deleted record gets its event, in the same
// transaction as the change. Records that another record *requires* (an item with assets) are
// never deleted here: callers exclude them (see requiredBy).

/** Record data as events show it: every field, no bookkeeping columns. */
export const recordData = (alias: string) => sql`(to_jsonb(${sql.ident(alias)}) - 'organization_id' - 'id' - 'created_at' - 'updated_at')`;

export interface Referrer {
  def: ResourceDefinition;
  ref: ReferenceSpec;
  required: boolean;
}

/** Every (resource, reference field) that can point at records of `target`. */
export function referrersOf(target: ResourceDefinition): Referrer[] {
  return RESOURCES.flatMap((def) =>
    def.references
      .filter((ref) => referenceTargets(ref).includes(target.name))
      .map((ref) => ({ def, ref, required: !ref.many && def.requiredToCreate.includes(ref.field) })),
  );
}

/** Condition: record `id` (an expression) is required by a record of another resource; null when nothing can require it. */
export function requiredBy(target: ResourceDefinition, id: SqlFragment, p: Pick<StatementParams, 'organizationId'>): SqlFragment | null {
  const req = referrersOf(target).filter((r) => r.required);
  if (req.length === 0) return null;
  return sql.join(
    req.map(
      (r) => sql`EXISTS (SELECT 1 FROM ${sql.ident(r.def.table)} x WHERE x.organization_id = ${p.organizationId} AND x.${sql.ident(r.ref.field)} = ${id})`,
    ),
    ' OR ',
  );
}

export interface Removal {
  deleted: number;
  events: number;
  /** Ids spared because another record came to require them while this import ran. */
  kept: string[];
}

type Params = Pick<StatementParams, 'importId' | 'organizationId'>;

/** The statements of removeRecords, in order, by name (sql:print). */
export function removeRecordsStatements(def: ResourceDefinition, p: Params, ids: SqlFragment): { name: string; statement: SqlFragment }[] {
  const out = [
    { name: 'doomed', statement: sql`CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP` },
    { name: 'doomed', statement: collectDoomedSql(ids) },
    { name: 'lockDoomed', statement: lockDoomedSql(def) },
  ];
  const kept = spareRequiredSql(def, p);
  if (kept) out.push({ name: 'spareRequired', statement: kept });
  for (const r of referrersOf(def).filter((x) => !x.required)) {
    out.push({ name: `clearReferences(${r.def.name}.${r.ref.field})`, statement: clearReferencesSql(r, p) });
  }
  out.push({ name: 'deleteDoomed', statement: deleteDoomedSql(def, p) });
  return out;
}

/** Fills `doomed` from `ids`, a SELECT of one id column. */
export const collectDoomedSql = (ids: SqlFragment) =>
  sql`INSERT INTO doomed (id) SELECT DISTINCT ids.id FROM (${ids}) AS ids(id) WHERE ids.id IS NOT NULL`;

// Lock the doomed records before looking at who requires them: an import writing a reference
// to one (it holds FOR KEY SHARE) finishes first, and no new reference can appear after.
export const lockDoomedSql = (def: ResourceDefinition) =>
  sql`SELECT t.id FROM ${sql.ident(def.table)} t JOIN doomed d ON d.id = t.id ORDER BY t.id FOR UPDATE OF t`;

/** Takes the records another record requires out of `doomed`, returning their ids; null when nothing can require one. */
export function spareRequiredSql(def: ResourceDefinition, p: Params): SqlFragment | null {
  const required = requiredBy(def, sql`d.id`, p);
  return required ? sql`DELETE FROM doomed d WHERE ${required} RETURNING d.id` : null;
}

/** Clears references of `r` to doomed records, with an event per changed record; returns `n`. */
export function clearReferencesSql(r: Referrer, p: Params): SqlFragment {
  const f = sql.ident(r.ref.field);
  const table = sql.ident(r.def.table);
  const matches = r.ref.many ? sql`t.${f} && ARRAY(SELECT id FROM doomed)` : sql`t.${f} IN (SELECT id FROM doomed)`;
  const cleared = r.ref.many ? sql`coalesce(ARRAY(SELECT x FROM unnest(t.${f}) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}')` : sql`NULL`;
  return sql`WITH old AS (
         SELECT t.* FROM ${table} t WHERE t.organization_id = ${p.organizationId} AND ${matches} FOR UPDATE
       ), changed AS (
         UPDATE ${table} t SET ${f} = ${cleared}, updated_at = now() FROM old WHERE t.id = old.id RETURNING t.*
       ), ev AS (
         INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
         SELECT gen_id('evt_'), ${p.organizationId}, ${p.importId}, ${r.def.name}, c.id, 'record.updated', ${recordData('o')}, ${recordData('c')}
         FROM changed c JOIN old o ON o.id = c.id
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM ev`;
}

/** Deletes the doomed records, with an event each; returns `n`. */
export function deleteDoomedSql(def: ResourceDefinition, p: Params): SqlFragment {
  return sql`WITH gone AS (
       DELETE FROM ${sql.ident(def.table)} t USING doomed d WHERE t.id = d.id AND t.organization_id = ${p.organizationId} RETURNING t.*
     ), ev AS (
       INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), ${p.organizationId}, ${p.importId}, ${def.name}, g.id, 'record.deleted', ${recordData('g')}, NULL FROM gone g
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM ev`;
}

/** Deletes the records of `def` that `ids` (a SELECT of one id column) selects. Call at most once per transaction. */
export async function removeRecords(tx: Queryable, def: ResourceDefinition, p: Params, ids: SqlFragment): Promise<Removal> {
  await tx.query(sql`CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP`);
  await tx.query(collectDoomedSql(ids));
  await tx.query(lockDoomedSql(def));
  const spare = spareRequiredSql(def, p);
  const kept = spare ? (await tx.query<{ id: string }>(spare)).rows.map((r) => r.id) : [];
  let events = 0;
  for (const r of referrersOf(def).filter((x) => !x.required)) {
    const res = await tx.query<{ n: number }>(clearReferencesSql(r, p));
    events += res.rows[0]?.n ?? 0;
  }
  const res = await tx.query<{ n: number }>(deleteDoomedSql(def, p));
  const deleted = res.rows[0]?.n ?? 0;
  return { deleted, events: events + deleted, kept };
}
