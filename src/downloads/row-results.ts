import type { Queryable } from '../db/db.js';

// The per-row results download (issue 16): one line per input row — what happened to it, the
// record it named, the error code when it was removed — what Salesforce's success and failure
// files give, in one file. Nothing is stored for it while the import runs: it is read, page by
// page, from what the import keeps anyway (the working rows, the row errors and the change
// events) when the other downloads are written, before the working rows are dropped. So
// processing pays nothing for it.
//
// A row's outcome: its row error (`duplicate`, else `error` with the code); else, once
// processing completed, the change its record got from this import (`created`, `updated`,
// `deleted`; no change is `unchanged`); else — the import ended before processing completed —
// `unprocessed`. For a dry run the changes are its forecast, so the file is the forecast too.
//
// Cost (npm run bench, 100k-row merge into half-full, PostgreSQL, same quiet machine): processing
// unchanged (5.2 s before, 4.8 s after), cleanup 2.3 s → 4.3 s for writing the two files.

export const ROW_OUTCOMES = ['created', 'updated', 'unchanged', 'deleted', 'duplicate', 'error', 'unprocessed'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

export interface RowResult {
  row: number;
  line: number;
  outcome: RowOutcome;
  record_id: string | null;
  error_code: string | null;
}

export const RESULTS_FILE_COLUMNS = ['row', 'line', 'outcome', 'record_id', 'error_code'] as const;

const PAGE_ROWS = 2000;

interface ImportFacts {
  organization_id: string;
  resource: string;
  dry_run: boolean;
  processed: boolean;
}

/** The results of every staged row, in row order, a page at a time. */
export async function* rowResultPages(tx: Queryable, importId: string): AsyncGenerator<RowResult[]> {
  const facts = (
    await tx.query<ImportFacts>(
      `SELECT i.organization_id, i.resource, i.dry_run,
              EXISTS (SELECT 1 FROM import_phases p WHERE p.import_id = i.id AND p.name = 'processing' AND p.status = 'completed') AS processed
       FROM imports i WHERE i.id = $1`,
      [importId],
    )
  ).rows[0];
  if (!facts) return;
  // The change is looked up by record: by the (organization, record_id) index of the events,
  // which every import already maintains, or the forecast's (record_id) index. The import is
  // compared with IS NOT DISTINCT FROM, which no index serves, on purpose: right after a large
  // import the planner's statistics still describe the events table without its events, and
  // with `import_id = $1` it chose the by-import index and scanned every event of the import
  // for each row (56 s for one page of 2,000 rows of a 100,000-row merge, 69 ms like this).
  // Fixed table names, no input.
  const change = facts.dry_run
    ? `SELECT v.type FROM forecast_events v WHERE v.record_id = i.record_id AND v.import_id IS NOT DISTINCT FROM $1 AND v.organization_id = $4 AND v.resource = $5 LIMIT 1`
    : `SELECT v.type FROM events v WHERE v.organization_id = $4 AND v.record_id = i.record_id AND v.import_id IS NOT DISTINCT FROM $1 AND v.resource = $5 LIMIT 1`;
  const text = `SELECT x.row, x.line, x.outcome,
          CASE WHEN x.outcome IN ('created', 'updated', 'unchanged', 'deleted') OR NOT x.is_new THEN x.record_id END AS record_id,
          x.error_code
     FROM (
       SELECT r.row, coalesce(r.line, r.row + 1) AS line, i.record_id, coalesce(i.is_new, true) AS is_new, e.code AS error_code,
              CASE WHEN e.code = 'duplicate' THEN 'duplicate'
                   WHEN e.code IS NOT NULL THEN 'error'
                   WHEN NOT $6::boolean OR i.record_id IS NULL THEN 'unprocessed'
                   ELSE coalesce((SELECT CASE c.type WHEN 'record.created' THEN 'created' WHEN 'record.updated' THEN 'updated' ELSE 'deleted' END
                                  FROM (${change}) c), 'unchanged')
              END AS outcome
       FROM import_rows r
       -- Lateral with LIMIT (which keeps the planner from flattening them), so each is a
       -- primary-key lookup per row of the page whatever the statistics say: a plain join
       -- merge-joined every row error of the import for each page.
       LEFT JOIN LATERAL (SELECT e.code FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row LIMIT 1) e ON true
       LEFT JOIN LATERAL (SELECT i.record_id, i.is_new FROM import_row_ids i WHERE i.import_id = r.import_id AND i.row = r.row LIMIT 1) i ON true
       WHERE r.import_id = $1 AND r.row > $2
       ORDER BY r.row LIMIT $3
     ) x ORDER BY x.row`;
  let after = 0;
  for (;;) {
    const res = await tx.query<RowResult>(text, [importId, after, PAGE_ROWS, facts.organization_id, facts.resource, facts.processed]);
    if (res.rows.length > 0) yield res.rows;
    if (res.rows.length < PAGE_ROWS) return;
    after = res.rows[res.rows.length - 1]!.row;
  }
}
