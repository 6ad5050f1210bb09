import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';
import { RESOURCES } from '../resources/index.js';
import { referenceTargets, type ReferenceSpec, type ResourceDefinition } from '../resources/resource.js';
import { sqlLiteral } from '../staging/working-rows.js';

// Deleting records (delete action, overwrite cleanup), set-based: the ids go into a temporary
// table, references to them are cleared first — removed from many-references, set to null in
// optional single ones — and every changed or deleted record gets its event, in the same
// transaction as the change. Records that another record *requires* (an item with assets) are
// never deleted here: callers exclude them (see requiredBy).

/** Record data as events show it: every field, no bookkeeping columns. */
export const recordData = (alias: string) => `(to_jsonb(${alias}) - 'organization_id' - 'id' - 'created_at' - 'updated_at')`;

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

/** SQL condition: record `idExpr` is required by a record of another resource. `org` = organization parameter. */
export function requiredBy(target: ResourceDefinition, idExpr: string, org = '$2'): string | null {
  const req = referrersOf(target).filter((r) => r.required);
  if (req.length === 0) return null;
  return req
    .map((r) => `EXISTS (SELECT 1 FROM ${r.def.table} x WHERE x.organization_id = ${org} AND x.${r.ref.field} = ${idExpr})`)
    .join(' OR ');
}

export interface Removal {
  deleted: number;
  events: number;
  /** Ids spared because another record came to require them while this import ran. */
  kept: string[];
}

/**
 * Deletes the records of `def` selected by `idsSql` (a SELECT of one id column, over `$1` =
 * import id and `$2` = organization id). Call at most once per transaction.
 */
export async function removeRecords(tx: Queryable, imp: ImportRecord, def: ResourceDefinition, idsSql: string): Promise<Removal> {
  const params = [imp.id, imp.organization_id];
  await tx.query('CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP');
  // Postgres rejects a parameter the statement does not use, so pass only those idsSql uses.
  await tx.query(
    `INSERT INTO doomed (id) SELECT DISTINCT ids.id FROM (${idsSql}) AS ids(id) WHERE ids.id IS NOT NULL`,
    idsSql.includes('$2') ? params : params.slice(0, 1),
  );
  // Lock the doomed records before looking at who requires them: an import writing a reference
  // to one (it holds FOR KEY SHARE) finishes first, and no new reference can appear after.
  await tx.query(`SELECT t.id FROM ${def.table} t JOIN doomed d ON d.id = t.id ORDER BY t.id FOR UPDATE OF t`);
  const required = requiredBy(def, 'd.id', '$1');
  const kept = required
    ? (await tx.query<{ id: string }>(`DELETE FROM doomed d WHERE ${required} RETURNING d.id`, [imp.organization_id])).rows.map((r) => r.id)
    : [];
  let events = 0;
  for (const r of referrersOf(def).filter((x) => !x.required)) {
    const f = r.ref.field;
    const matches = r.ref.many ? `t.${f} && ARRAY(SELECT id FROM doomed)` : `t.${f} IN (SELECT id FROM doomed)`;
    const cleared = r.ref.many
      ? `coalesce(ARRAY(SELECT x FROM unnest(t.${f}) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}')`
      : 'NULL';
    const res = await tx.query<{ n: number }>(
      `WITH old AS (
         SELECT t.* FROM ${r.def.table} t WHERE t.organization_id = $2 AND ${matches} FOR UPDATE
       ), changed AS (
         UPDATE ${r.def.table} t SET ${f} = ${cleared}, updated_at = now() FROM old WHERE t.id = old.id RETURNING t.*
       ), ev AS (
         INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
         SELECT gen_id('evt_'), $2, $1, ${sqlLiteral(r.def.name)}, c.id, 'record.updated', ${recordData('o')}, ${recordData('c')}
         FROM changed c JOIN old o ON o.id = c.id
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM ev`,
      params,
    );
    events += res.rows[0]?.n ?? 0;
  }
  const res = await tx.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM ${def.table} t USING doomed d WHERE t.id = d.id AND t.organization_id = $2 RETURNING t.*
     ), ev AS (
       INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), $2, $1, ${sqlLiteral(def.name)}, g.id, 'record.deleted', ${recordData('g')}, NULL FROM gone g
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM ev`,
    params,
  );
  const deleted = res.rows[0]?.n ?? 0;
  return { deleted, events: events + deleted, kept };
}
