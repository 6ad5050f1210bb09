import { sql, type SqlFragment } from '../db/sql.js';
import type { Queryable } from '../db/db.js';
import { RESOURCES } from '../resources/index.js';
import { referenceTargets, type ReferenceSpec, type ResourceDefinition } from '../resources/resource.js';
import { eventsTable } from './dry-run.js';
import type { StatementParams } from './statement-params.js';

// Deleting records (delete action, overwrite cleanup), set-based: the ids go into a temporary
// table, references to them are cleared first — removed from many-references, set to null in
// optional single ones — and every changed or deleted record gets its event, in the same
// transaction as the change (a dry run: see dry-run.ts). Records that another record *requires* (an item with assets) are
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
export function removeRecordsStatements(def: ResourceDefinition, p: Params, ids: SqlFragment, dryRun = false): { name: string; statement: SqlFragment }[] {
  const out = [
    { name: 'doomed', statement: sql`CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP` },
    { name: 'doomed', statement: collectDoomedSql(ids) },
  ];
  if (!dryRun) out.push({ name: 'lockDoomed', statement: lockDoomedSql(def) });
  const kept = spareRequiredSql(def, p);
  if (kept) out.push({ name: 'spareRequired', statement: kept });
  for (const { r, earlier } of clearingOrder(def)) {
    out.push({ name: `clearReferences(${r.def.name}.${r.ref.field})`, statement: clearReferencesSql(r, p, dryRun ? earlier : null) });
  }
  out.push({ name: 'deleteDoomed', statement: deleteDoomedSql(def, p, dryRun) });
  return out;
}

/**
 * The optional references to clear, in the order they are cleared, each with the ones of the
 * same resource cleared before it (a dry run computes a record's state between the two).
 */
function clearingOrder(def: ResourceDefinition): { r: Referrer; earlier: Referrer[] }[] {
  const clearing = referrersOf(def).filter((x) => !x.required);
  return clearing.map((r, n) => ({ r, earlier: clearing.slice(0, n).filter((x) => x.def.name === r.def.name) }));
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

/** Condition: the record `t` refers to a doomed record through `r`. */
function refersToDoomed(r: Referrer): SqlFragment {
  const f = sql.ident(r.ref.field);
  return r.ref.many ? sql`t.${f} && ARRAY(SELECT id FROM doomed)` : sql`t.${f} IN (SELECT id FROM doomed)`;
}

/** The value of `r`'s field of record `t` once its doomed targets are gone. */
function withoutDoomed(r: Referrer): SqlFragment {
  const f = sql.ident(r.ref.field);
  return r.ref.many ? sql`coalesce(ARRAY(SELECT x FROM unnest(t.${f}) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}')` : sql`NULL`;
}

/**
 * Clears references of `r` to doomed records, with an event per changed record; returns `n`.
 * `dryRunAfter` (a dry run): the records are not changed, the events go to the forecast, and
 * each record's "before" is its state once the references listed there (of the same resource,
 * cleared earlier in the same removal) are cleared, as the real run's successive updates see it.
 */
export function clearReferencesSql(r: Referrer, p: Params, dryRunAfter: Referrer[] | null = null): SqlFragment {
  const f = sql.ident(r.ref.field);
  const table = sql.ident(r.def.table);
  const matches = refersToDoomed(r);
  const cleared = withoutDoomed(r);
  if (dryRunAfter) {
    const earlier = dryRunAfter.map(
      (e) => sql` || jsonb_build_object(${e.ref.field}::text, CASE WHEN ${refersToDoomed(e)} THEN ${withoutDoomed(e)} ELSE t.${sql.ident(e.ref.field)} END)`,
    );
    return sql`WITH ev AS (
         INSERT INTO ${eventsTable(true)} (id, organization_id, import_id, resource, record_id, type, before, after)
         SELECT gen_id('evt_'), ${p.organizationId}, ${p.importId}, ${r.def.name}, b.id, 'record.updated', b.before, b.before || jsonb_build_object(${r.ref.field}::text, b.cleared)
         FROM (SELECT t.id, ${recordData('t')}${sql.join(earlier, '')} AS before, ${cleared} AS cleared
               FROM ${table} t WHERE t.organization_id = ${p.organizationId} AND ${matches}) b
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM ev`;
  }
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

/** Deletes the doomed records, with an event each; returns `n`. A dry run deletes nothing and forecasts the events. */
export function deleteDoomedSql(def: ResourceDefinition, p: Params, dryRun = false): SqlFragment {
  const gone = dryRun
    ? sql`SELECT t.* FROM ${sql.ident(def.table)} t JOIN doomed d ON d.id = t.id WHERE t.organization_id = ${p.organizationId}`
    : sql`DELETE FROM ${sql.ident(def.table)} t USING doomed d WHERE t.id = d.id AND t.organization_id = ${p.organizationId} RETURNING t.*`;
  return sql`WITH gone AS (
       ${gone}
     ), ev AS (
       INSERT INTO ${eventsTable(dryRun)} (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), ${p.organizationId}, ${p.importId}, ${def.name}, g.id, 'record.deleted', ${recordData('g')}, NULL FROM gone g
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM ev`;
}

/**
 * Deletes the records of `def` that `ids` (a SELECT of one id column) selects. Call at most once
 * per transaction. `dryRun`: changes nothing, forecasts the events (dry-run.ts); nothing is
 * written, so nothing is locked.
 */
export async function removeRecords(tx: Queryable, def: ResourceDefinition, p: Params, ids: SqlFragment, dryRun = false): Promise<Removal> {
  await tx.query(sql`CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP`);
  await tx.query(collectDoomedSql(ids));
  if (!dryRun) await tx.query(lockDoomedSql(def));
  const spare = spareRequiredSql(def, p);
  const kept = spare ? (await tx.query<{ id: string }>(spare)).rows.map((r) => r.id) : [];
  let events = 0;
  for (const { r, earlier } of clearingOrder(def)) {
    const res = await tx.query<{ n: number }>(clearReferencesSql(r, p, dryRun ? earlier : null));
    events += res.rows[0]?.n ?? 0;
  }
  const res = await tx.query<{ n: number }>(deleteDoomedSql(def, p, dryRun));
  const deleted = res.rows[0]?.n ?? 0;
  return { deleted, events: events + deleted, kept };
}
