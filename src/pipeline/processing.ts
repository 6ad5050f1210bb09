import { ImportFailure } from '../errors.js';
import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, ChunkedPhase, RangeOutcome } from './chunked-phase.js';
import { removeRecords } from './remove-records.js';
import { recordScopeCount } from './overwrite-scope.js';
import { lockReferenceTargets } from './reference-locks.js';
import { countLiveRows, countLiveRowsIn, LIVE_ROW, liveRowsIn, RESOLVED_ROWS, resolvedRowsIn, sqlLiteral } from '../staging/working-rows.js';

// Phase 6, processing: one INSERT … ON CONFLICT over the live rows, and one event per record
// that changes, in one statement. merge keeps stored values for fields a row does not give
// (JSON null clears); overwrite replaces every field. A matched record whose values would not
// change is counted `unchanged` and not written (no event, updated_at untouched). delete
// removes the rows' records (references to them are cleared, see remove-records.ts).
//
// SPEC §3 wants the phase all or nothing. On PostgreSQL it is one transaction (readers are not
// blocked by it). On PGlite, whose one session a long transaction would take from the API for
// seconds, merge and overwrite run range by range instead: there only one import runs at a
// time, so an import that stops before finishing the phase can undo the ranges it committed
// exactly, from its events (undo-processing.ts). Deletes stay one transaction everywhere: a
// deleted record's events could not give back its created_at.
export const processing: ChunkedPhase = {
  passes: [processRange],
  oneRange: (imp, engine) => engine !== 'pglite' || imp.action === 'delete',
};

async function processRange({ tx, imp, def, from, to, ranged }: ChunkContext): Promise<RangeOutcome> {
  if (from === 1) {
    // SPEC §5: an import none of whose rows survived the checks fails (an overwrite of nothing
    // must not go on to delete everything).
    if ((await countLiveRows(tx, imp.id)) === 0) throw new ImportFailure('no_valid_rows', 'no row passed every check; see the row errors');
    if (imp.action === 'overwrite') await recordScopeCount(tx, imp, def);
  }
  if (imp.action === 'delete') {
    // One range: every live row (see `oneRange`).
    const removed = await removeRecords(tx, imp, def, `SELECT i.record_id FROM ${RESOLVED_ROWS} WHERE ${LIVE_ROW}`);
    const kept = await reportKept(tx, imp, def, removed.kept);
    return { removed: kept, counts: { deleted: removed.deleted, events: removed.events } };
  }
  const vanished = await lockReferenceTargets(tx, imp, def, from, to);
  const cols = Object.keys(def.fields);
  const generated = new Set(def.generatedOnCreate ?? []);
  const dependsOn = new Map(def.references.flatMap((r) => (typeof r.target === 'string' ? [] : [[r.field, r.target.by] as const])));
  const value = (c: string) => {
    const given = `(s.p).${c}`;
    const kept = `(s.old).${c}`;
    // Generated on create when not given (or given null); validation refuses clearing it later.
    if (generated.has(c)) return `coalesce(CASE WHEN s.vals ? ${sqlLiteral(c)} THEN ${given} END, ${kept}, 'SN-' || upper(right(s.id, 10)))`;
    if (imp.action === 'overwrite') return given;
    const byField = dependsOn.get(c);
    // A reference whose target depends on another field (group.children by type) is emptied
    // when that field changes and the row does not give new targets: the old ones are of the
    // wrong kind now.
    if (byField) {
      return `CASE WHEN s.vals ? ${sqlLiteral(c)} THEN ${given}
                   WHEN s.vals ? ${sqlLiteral(byField)} AND (s.p).${byField} IS DISTINCT FROM (s.old).${byField} AND NOT s.is_new THEN '{}'
                   ELSE ${kept} END`;
    }
    return `CASE WHEN s.vals ? ${sqlLiteral(c)} THEN ${given} ELSE ${kept} END`;
  };
  const asJson = (alias: string) => `jsonb_build_object(${cols.map((c) => `${sqlLiteral(c)}, ${alias}.${c}`).join(', ')})`;
  // Every live row of the range is created, updated or unchanged: counted now, the statement
  // below need not keep the unchanged ones to count them.
  const live = ranged ? await countLiveRowsIn(tx, imp.id, from, to) : await countLiveRows(tx, imp.id);
  const res = await tx.query<{ created: number; updated: number; events: number }>(
    `WITH src AS (
       SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
       FROM ${resolvedRowsIn('$3', '$4')}
       LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $3 AND $4
       LEFT JOIN ${def.table} t ON t.id = i.record_id AND t.organization_id = $2
       -- In FROM, the record is built once per row; as an expression of the inlined CTE,
       -- every (s.p).field below would call jsonb_populate_record again.
       CROSS JOIN LATERAL jsonb_populate_record(NULL::${def.table}, r.vals || coalesce(f.refs, '{}'::jsonb)) p
       WHERE ${liveRowsIn('$3', '$4')}
     ), next AS (
       SELECT s.id, s.is_new, s.old, ${cols.map((c) => `${value(c)} AS ${c}`).join(', ')}
       FROM src s
     ), changes AS (
       -- Only the records that change: the rows of the file that change nothing (all of them,
       -- when a file is imported twice) never reach the two writes below, nor the tuplestore
       -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
       -- for the event, and only for updates.
       SELECT n.id, n.is_new, ${cols.map((c) => `n.${c}`).join(', ')}, CASE WHEN NOT n.is_new THEN ${asJson('(n.old)')} END AS before
       FROM next n
       WHERE n.is_new OR ROW(${cols.map((c) => `n.${c}`).join(', ')}) IS DISTINCT FROM ROW(${cols.map((c) => `(n.old).${c}`).join(', ')})
     ), written AS (
       INSERT INTO ${def.table} AS t (organization_id, id, ${cols.join(', ')}, created_at, updated_at)
       SELECT $2, c.id, ${cols.map((c) => `c.${c}`).join(', ')}, now(), now() FROM changes c
       ON CONFLICT (id) DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()
       RETURNING 1
     ), events AS (  -- data-modifying CTEs run to completion whether read or not
       INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
       SELECT gen_id('evt_'), $2, $1, ${sqlLiteral(def.name)}, c.id,
              CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, ${asJson('c')}
       FROM changes c
       RETURNING 1
     )
     SELECT count(*) FILTER (WHERE is_new)::int AS created,
            count(*) FILTER (WHERE NOT is_new)::int AS updated,
            (SELECT count(*) FROM events)::int AS events
     FROM changes`,
    [imp.id, imp.organization_id, from, to],
  );
  const c = res.rows[0] ?? { created: 0, updated: 0, events: 0 };
  return { removed: vanished, counts: { created: c.created, updated: c.updated, unchanged: live - c.created - c.updated, events: c.events } };
}

/** Rows whose record became required by another one after validation checked it (a concurrent import). */
async function reportKept(tx: Queryable, imp: ImportRecord, def: ResourceDefinition, kept: string[]): Promise<number> {
  if (kept.length === 0) return 0;
  const res = await tx.query(
    `INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT $1, r.row, 'processing', 'still_referenced', NULL,
            ${sqlLiteral(def.name)} || ' ' || i.record_id || ' came to be required by another record while this import ran, so it was not deleted.', r.raw
     FROM ${RESOLVED_ROWS} WHERE ${LIVE_ROW} AND i.record_id = ANY($2::text[])`,
    [imp.id, kept],
  );
  return res.rowCount;
}
