import type { ChunkContext, RangeOutcome } from './chunked-phase.js';
import type { PhaseName } from '../domain/phases.js';
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

export interface DuplicateRule {
  phase: PhaseName;
  /** Look at resolved rows (`r` and `i`, see RESOLVED_ROWS) rather than staged ones (`r`). */
  resolved?: boolean;
  /** SQL expression over `from` that groups rows naming the same record; NULL = never a duplicate. */
  groupBy: string;
  /** SQL expression over `r` for the error's `field`. */
  field: string;
  /** SQL expression over `d` (grp, field) completing "Row N … as row M". */
  describe: string;
  /** SQL condition over `import_errors e` picking the errors this rule writes. */
  own: string;
}

/** Removes the duplicates among the rows of the range `ctx` is given. */
export async function removeDuplicates(ctx: ChunkContext, rule: DuplicateRule): Promise<RangeOutcome> {
  const { tx, imp, from: first, to: last, ranged } = ctx;
  const from = rule.resolved ? RESOLVED_ROWS : 'import_rows r';
  const fromRange = rule.resolved ? resolvedRowsIn('$4', '$5') : 'import_rows r';
  const liveBefore = `NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND NOT coalesce(${rule.own}, false))`;
  // A range looks up only the groups its rows belong to (through an index); the whole file is
  // one window over every row, which the planner hashes and sorts.
  const touched = `WITH touched AS (
       SELECT DISTINCT ${rule.groupBy} AS grp
       FROM ${fromRange} WHERE r.import_id = $1 AND r.row BETWEEN $4 AND $5 AND ${rule.groupBy} IS NOT NULL AND ${liveBefore}
     ), `;
  const inGroups = ranged ? `${rule.groupBy} IN (SELECT t.grp FROM touched t)` : `${rule.groupBy} IS NOT NULL`;
  const res = await tx.query(
    `${ranged ? touched : 'WITH '}w AS (
       -- Every row of those groups, each with its group's size and first two rows. The rows of
       -- the range are then picked by row number, not joined back: a join whose size the
       -- planner cannot know from statistics.
       SELECT r.row, r.raw, ${rule.groupBy} AS grp, ${rule.field} AS field,
              count(*) OVER p AS n, min(r.row) OVER p AS first_row,
              nth_value(r.row, 2) OVER (p ORDER BY r.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
       FROM ${from} WHERE r.import_id = $1 AND ${inGroups} AND ${liveBefore}
       WINDOW p AS (PARTITION BY ${rule.groupBy})
     ), d AS (
       SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
       FROM w
       WHERE w.row BETWEEN $4 AND $5 AND w.n > 1 AND ($2 = 'ignore_all' OR w.row <> w.first_row)
     )
     INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT $1, d.row, $3, 'duplicate', d.field,
            'Row ' || d.row || ' ' || ${rule.describe} || ' as row ' || d.other_row
              || CASE WHEN $2 = 'ignore_all'
                   THEN '; duplicate_handling is ignore_all, so every row of the group is ignored.'
                   ELSE '; duplicate_handling is use_first, so only row ' || d.first_row || ' is kept.' END,
            d.raw
     FROM d`,
    [imp.id, imp.duplicate_handling, rule.phase, first, last],
  );
  return { removed: res.rowCount };
}
