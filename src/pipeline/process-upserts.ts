import { sql, type SqlFragment } from '../db/sql.js';
import type { Action } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, RangeOutcome } from './chunked-phase.js';
import { eventsTable } from './dry-run.js';
import { lockReferenceTargets } from './reference-locks.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { countLiveRows, countLiveRowsIn, liveRowsIn, resolvedRowsIn } from '../staging/working-rows.js';

// Processing for merge and overwrite: one INSERT … ON CONFLICT over the live rows of the range,
// and one event per record that changes, in one statement. merge keeps stored values for
// fields a row does not give (JSON null clears); overwrite replaces every field. A matched
// record whose values would not change is counted `unchanged` and not written (no event,
// updated_at untouched).
export async function processUpserts({ tx, imp, def, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  const p = statementParams(imp, from, to);
  const vanished = await lockReferenceTargets(tx, def, p);
  // Every live row of the range is created, updated or unchanged: counted now, the statement
  // below need not keep the unchanged ones to count them.
  const live = ranged ? await countLiveRowsIn(tx, imp.id, from, to) : await countLiveRows(tx, imp.id);
  const res = await tx.query<{ created: number; updated: number; events: number }>(upsertRecordsSql(def, imp.action, p, { ranged, dryRun: imp.dry_run }));
  const c = res.rows[0] ?? { created: 0, updated: 0, events: 0 };
  return { removed: vanished, counts: { created: c.created, updated: c.updated, unchanged: live - c.created - c.updated, events: c.events } };
}

/** The value a column gets: given by the row, kept, generated, or emptied (see below). */
function nextValue(def: ResourceDefinition, action: Action, c: string): SqlFragment {
  const col = sql.ident(c);
  const given = sql`(s.p).${col}`;
  const kept = sql`(s.old).${col}`;
  const dependsOn = new Map(def.references.flatMap((r) => (typeof r.target === 'string' ? [] : [[r.field, r.target.by] as const])));
  // Generated on create when not given (or given null); validation refuses clearing it later.
  if ((def.generatedOnCreate ?? []).includes(c)) return sql`coalesce(CASE WHEN s.vals ? ${c} THEN ${given} END, ${kept}, 'SN-' || upper(right(s.id, 10)))`;
  if (action === 'overwrite') return given;
  const byField = dependsOn.get(c);
  // A reference whose target depends on another field (group.children by type) is emptied
  // when that field changes and the row does not give new targets: the old ones are of the
  // wrong kind now.
  if (byField) {
    const by = sql.ident(byField);
    return sql`CASE WHEN s.vals ? ${c} THEN ${given}
                   WHEN s.vals ? ${byField} AND (s.p).${by} IS DISTINCT FROM (s.old).${by} AND NOT s.is_new THEN '{}'
                   ELSE ${kept} END`;
  }
  return sql`CASE WHEN s.vals ? ${c} THEN ${given} ELSE ${kept} END`;
}

/**
 * `ranged`: one range of rows (PGlite) rather than the whole file. `dryRun`: the records are not
 * written and the events go to the forecast (dry-run.ts).
 */
export function upsertRecordsSql(
  def: ResourceDefinition,
  action: Action,
  p: StatementParams,
  { ranged, dryRun = false }: { ranged: boolean; dryRun?: boolean },
): SqlFragment {
  const cols = Object.keys(def.fields);
  const idents = cols.map((c) => sql.ident(c));
  const list = (f: (c: ReturnType<typeof sql.ident>, name: string) => SqlFragment) => sql.join(idents.map((c, i) => f(c, cols[i]!)), ', ');
  const table = sql.ident(def.table);
  const asJson = (alias: SqlFragment) => sql`jsonb_build_object(${list((c, name) => sql`${name}::text, ${alias}.${c}`)})`;
  // The stored record of each row. The whole file (PostgreSQL) hashes the organization's
  // records. A range (PGlite) looks each of its rows' records up by primary key: as a join, the
  // planner, whose statistics of the table predate the import, hashed every record of the
  // organization for every range, and they grow with each range (processing on PGlite took 4 s
  // at 100k rows, 16 s at 300k, 89 s at 1M). OFFSET 0 keeps the subquery a per-row probe.
  const stored = ranged
    ? sql`LEFT JOIN LATERAL (SELECT t AS old FROM ${table} t WHERE t.id = i.record_id AND t.organization_id = ${p.organizationId} OFFSET 0) o ON true`
    : sql`LEFT JOIN ${table} t ON t.id = i.record_id AND t.organization_id = ${p.organizationId}`;
  return sql`WITH src AS (
       SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, ${ranged ? sql`o.old` : sql`t AS old`}
       FROM ${resolvedRowsIn(p)}
       LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN ${p.from} AND ${p.to}
       ${stored}
       -- In FROM, the record is built once per row; as an expression of the inlined CTE,
       -- every (s.p).field below would call jsonb_populate_record again.
       CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, r.vals || coalesce(f.refs, '{}'::jsonb)) p
       WHERE ${liveRowsIn(p)}
     ), next AS (
       SELECT s.id, s.is_new, s.old, ${list((c, name) => sql`${nextValue(def, action, name)} AS ${c}`)}
       FROM src s
     ), changes AS (
       -- Only the records that change: the rows of the file that change nothing (all of them,
       -- when a file is imported twice) never reach the two writes below, nor the tuplestore
       -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
       -- for the event, and only for updates.
       SELECT n.id, n.is_new, ${list((c) => sql`n.${c}`)}, CASE WHEN NOT n.is_new THEN ${asJson(sql`(n.old)`)} END AS before
       FROM next n
       WHERE n.is_new OR ROW(${list((c) => sql`n.${c}`)}) IS DISTINCT FROM ROW(${list((c) => sql`(n.old).${c}`)})
     ), ${dryRun ? sql.empty : sql`written AS (
       INSERT INTO ${table} AS t (organization_id, id, ${list((c) => sql`${c}`)}, created_at, updated_at)
       SELECT ${p.organizationId}, c.id, ${list((c) => sql`c.${c}`)}, now(), now() FROM changes c
       ON CONFLICT (id) DO UPDATE SET ${list((c) => sql`${c} = EXCLUDED.${c}`)}, updated_at = now()
       RETURNING 1
     ), `}events AS (  -- data-modifying CTEs run to completion whether read or not
       INSERT INTO ${eventsTable(dryRun)} (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), ${p.organizationId}, ${p.importId}, ${def.name}, c.id,
              CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, ${asJson(sql`c`)}
       FROM changes c
       RETURNING 1
     )
     SELECT count(*) FILTER (WHERE is_new)::int AS created,
            count(*) FILTER (WHERE NOT is_new)::int AS updated,
            (SELECT count(*) FROM events)::int AS events
     FROM changes`;
}
