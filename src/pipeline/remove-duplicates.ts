import type { Queryable } from '../db/db.js';
import type { DuplicateHandling } from '../imports/import-types.js';
import type { PhaseName } from './phases.js';
import { LIVE_ROW } from './working-rows.js';

// Duplicate removal shared by preparsing (rows naming the same record by lookup-key value) and
// parsing (rows resolved to the same record id). One statement: a window over the live rows of
// each group finds the first and second row, and every ignored row's error names the row it
// collided with. `ignore_all` removes the whole group; `use_first` keeps the lowest row number.

export interface DuplicateRule {
  phase: PhaseName;
  /** The rows to look at: `import_rows r` (default) or RESOLVED_ROWS. */
  from?: string;
  /** SQL expression over `from` that groups rows naming the same record; NULL = never a duplicate. */
  groupBy: string;
  /** SQL expression over `r` for the error's `field`. */
  field: string;
  /** SQL expression over `d` (grp, field) completing "Row N … as row M". */
  describe: string;
}

export async function removeDuplicates(
  tx: Queryable,
  importId: string,
  mode: DuplicateHandling,
  rule: DuplicateRule,
): Promise<number> {
  const res = await tx.query(
    `WITH g AS (
       SELECT r.row, r.raw, ${rule.groupBy} AS grp, ${rule.field} AS field
       FROM ${rule.from ?? 'import_rows r'} WHERE ${LIVE_ROW}
     ), w AS (
       SELECT g.*, count(*) OVER p AS n,
              min(g.row) OVER p AS first_row,
              nth_value(g.row, 2) OVER (p ORDER BY g.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
       FROM g WHERE g.grp IS NOT NULL
       WINDOW p AS (PARTITION BY g.grp)
     ), d AS (
       SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
       FROM w
       WHERE w.n > 1 AND ($2 = 'ignore_all' OR w.row <> w.first_row)
     )
     INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
     SELECT $1, d.row, $3, 'duplicate', d.field,
            'Row ' || d.row || ' ' || ${rule.describe} || ' as row ' || d.other_row
              || CASE WHEN $2 = 'ignore_all'
                   THEN '; duplicate_handling is ignore_all, so every row of the group is ignored.'
                   ELSE '; duplicate_handling is use_first, so only row ' || d.first_row || ' is kept.' END,
            d.raw
     FROM d`,
    [importId, mode, rule.phase],
  );
  return res.rowCount;
}
