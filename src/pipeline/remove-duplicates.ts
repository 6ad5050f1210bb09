import { sql, type SqlFragment } from '../db/sql.js';
import type { ResourceDefinition } from '../resources/resource.js';
import type { ChunkContext, RangeOutcome } from './chunked-phase.js';
import type { PhaseName } from './phase-list.js';
import { statementParams, type StatementParams } from './statement-params.js';
import { RESOLVED_ROWS, resolvedRowsIn } from '../staging/working-rows.js';

// Duplicate removal shared by preparsing (rows naming the same record by lookup-key value) and
// parsing (rows resolved to the same record id, rows setting the same external_id). For the
// rows of a range, every row of their group is looked up (through an index on the group), so
// the first and second row of each group are known however the file is split into ranges, and
// every ignored row's error names the row it collided with. `ignore_all` removes the whole
// group; `use_first` keeps the lowest row number.
//
// A group is made of the rows live *before this rule ran*: the errors the rule itself writes,
// range by range, must not shrink the groups of later ranges (a pair split across two ranges
// would otherwise lose only one of its rows).

/** Which rows are duplicates of each other: they name the same record by identity value, resolve to the same record, or set the same external_id. */
export type DuplicateKind = 'identity' | 'record' | 'external_id';

interface DuplicateRule {
  phase: PhaseName;
  /** Look at resolved rows (`r` and `i`, see RESOLVED_ROWS) rather than staged ones (`r`). */
  resolved: boolean;
  /** Expression over `r` (and `i`) that groups rows naming the same record; NULL = never a duplicate. */
  groupBy: SqlFragment;
  /** Expression over `r` for the error's `field`. */
  field: SqlFragment;
  /** Expression over `d` (grp, field) completing "Row N … as row M". */
  describe: SqlFragment;
  /** Condition over `import_errors e` picking the errors this rule writes. */
  own: SqlFragment;
}

function ruleFor(kind: DuplicateKind, def: ResourceDefinition): DuplicateRule {
  switch (kind) {
    case 'identity':
      return {
        phase: 'preparsing',
        resolved: false,
        groupBy: sql`r.ident`,
        field: sql`split_part(r.ident, ':', 1)`,
        describe: sql`'names the same ' || ${def.name} || ' by ' || d.field || ' "' || substr(d.grp, length(d.field) + 2) || '"'`,
        own: sql`e.phase = 'preparsing'`,
      };
    case 'record':
      return {
        phase: 'parsing',
        resolved: true,
        groupBy: sql`i.record_id`,
        field: sql`NULL::text`,
        describe: sql`'resolves to the same ' || ${def.name} || ' (' || d.grp || ')'`,
        own: sql`e.phase = 'parsing'`,
      };
    case 'external_id':
      return {
        phase: 'parsing',
        resolved: false,
        // Matches the index import_rows_by_external_id (migration 0006): written out, not a parameter.
        groupBy: sql`(r.vals ->> 'external_id')`,
        field: sql`'external_id'`,
        describe: sql`'sets external_id "' || d.grp || '", the same'`,
        // The record pass's errors have no field; they do take rows out of these groups.
        own: sql`e.phase = 'parsing' AND e.field = 'external_id'`,
      };
  }
}

/** Removes the duplicates of `kind` among the rows of the range `ctx` is given. */
export async function removeDuplicates(ctx: ChunkContext, kind: DuplicateKind): Promise<RangeOutcome> {
  const { tx, imp, def, from, to, ranged } = ctx;
  const res = await tx.query(removeDuplicatesSql(def, kind, statementParams(imp, from, to), { ranged }));
  return { removed: res.rowCount };
}

export function removeDuplicatesSql(def: ResourceDefinition, kind: DuplicateKind, p: StatementParams, { ranged }: { ranged: boolean }): SqlFragment {
  const rule = ruleFor(kind, def);
  const from = rule.resolved ? RESOLVED_ROWS : sql`import_rows r`;
  const fromRange = rule.resolved ? resolvedRowsIn(p) : sql`import_rows r`;
  const errorOf = sql`SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND NOT coalesce(${rule.own}, false)`;
  // The rows of the range: the range repeated on import_errors, so that only its errors are read.
  const liveBeforeInRange = sql`NOT EXISTS (${errorOf} AND e.row BETWEEN ${p.from} AND ${p.to})`;
  // The rows of the range's groups lie anywhere in the file. A range looks each one's errors up
  // by primary key: OFFSET 0 keeps the subquery a per-row probe (the planner neither turns it
  // into an anti-join nor hashes it), since as an anti-join the planner hashed every error of
  // the import for every range — on PGlite, with 10% invalid rows, preparsing went from 1 s at
  // 100k rows to 10 s at 300k (issue 19). The whole file (one range) is one hashed anti-join.
  const liveBefore = ranged ? sql`NOT EXISTS (${errorOf} OFFSET 0)` : sql`NOT EXISTS (${errorOf})`;
  // A range looks up only the groups its rows belong to (through an index); the whole file is
  // one window over every row, which the planner hashes and sorts.
  const touched = sql`WITH touched AS (
       SELECT DISTINCT ${rule.groupBy} AS grp
       FROM ${fromRange} WHERE r.import_id = ${p.importId} AND r.row BETWEEN ${p.from} AND ${p.to} AND ${rule.groupBy} IS NOT NULL AND ${liveBeforeInRange}
     ), `;
  const inGroups = ranged ? sql`${rule.groupBy} IN (SELECT t.grp FROM touched t)` : sql`${rule.groupBy} IS NOT NULL`;
  return sql`${ranged ? touched : sql`WITH `}w AS (
       -- Every row of those groups, each with its group's size and first two rows. The rows of
       -- the range are then picked by row number, not joined back: a join whose size the
       -- planner cannot know from statistics.
       SELECT r.row, ${rule.groupBy} AS grp, ${rule.field} AS field,
              count(*) OVER p AS n, min(r.row) OVER p AS first_row,
              nth_value(r.row, 2) OVER (p ORDER BY r.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
       FROM ${from} WHERE r.import_id = ${p.importId} AND ${inGroups} AND ${liveBefore}
       WINDOW p AS (PARTITION BY ${rule.groupBy})
     ), d AS (
       SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
       FROM w
       WHERE w.row BETWEEN ${p.from} AND ${p.to} AND w.n > 1 AND (${p.duplicateHandling} = 'ignore_all' OR w.row <> w.first_row)
     )
     INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT ${p.importId}, d.row, ${rule.phase}, 'duplicate', d.field,
            'Row ' || d.row || ' ' || ${rule.describe} || ' as row ' || d.other_row
              || CASE WHEN ${p.duplicateHandling} = 'ignore_all'
                   THEN '; duplicate_handling is ignore_all, so every row of the group is ignored.'
                   ELSE '; duplicate_handling is use_first, so only row ' || d.first_row || ' is kept.' END,
            -- The raw row only for the rows removed: carried through the window, it was sorted
            -- with every row of the file (issue 19 measured 2.4-3.4 s of it at 1M rows on PostgreSQL).
            (SELECT x.raw FROM import_rows x WHERE x.import_id = ${p.importId} AND x.row = d.row)
     FROM d`;
}
