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
  // The change is looked up by record among the import's events: by the (organization,
  // record_id) index for real ones, which every import already maintains; a dry run's forecast
  // has its own. Fixed table names, no input.
  const change = facts.dry_run
    ? `SELECT v.type FROM forecast_events v WHERE v.import_id = $1 AND v.organization_id = $4 AND v.record_id = i.record_id AND v.resource = $5 LIMIT 1`
    : `SELECT v.type FROM events v WHERE v.organization_id = $4 AND v.record_id = i.record_id AND v.import_id = $1 AND v.resource = $5 LIMIT 1`;
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
       LEFT JOIN import_errors e ON e.import_id = r.import_id AND e.row = r.row
       LEFT JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row
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
