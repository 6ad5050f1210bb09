import { WORK_MEM_PATTERN } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import { copyLine } from '../db/copy-text.js';
import type { RowErrorCode } from '../errors.js';
import { sql, type SqlParam } from '../db/sql.js';

// SQL over `import_rows` (the staged input) and `import_errors` (removed rows). A row is live
// until a phase writes its error; phases select live rows with liveRow, never a flag, so
// removing a row and recording why are one and the same write.

/** Predicate over `import_rows r` for rows no phase has removed. */
export const liveRow = (importId: SqlParam) =>
  sql`r.import_id = ${importId} AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)`;

/** Live rows with the record transforming resolved them to: `r` (import_rows) and `i` (import_row_ids). */
export const RESOLVED_ROWS = sql`import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row`;

// The same for the rows `from`..`to` of a range. The range is repeated on the working tables
// joined by row: the planner does not carry it from one join column to the other, and would
// otherwise read all of the import's ids and references for every range.

/** The import id and the range's first and last row (see pipeline/statement-params.ts). */
type RangeParams = { importId: SqlParam; from: SqlParam; to: SqlParam };

/**
 * Like liveRow, for the rows of a range. The range is repeated on import_errors too: without it
 * the planner hashes every row error of the import for each range (an import with 10% invalid
 * rows has 100k of them at 1M rows), and a phase's ranges together read the errors once per
 * range: quadratic on PGlite, where a phase runs in hundreds of ranges.
 */
export const liveRowsIn = (p: RangeParams) =>
  sql`r.import_id = ${p.importId} AND r.row BETWEEN ${p.from} AND ${p.to}
       AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN ${p.from} AND ${p.to})`;

/** Like RESOLVED_ROWS, for the rows of a range. */
export const resolvedRowsIn = (p: Pick<RangeParams, 'from' | 'to'>) =>
  sql`import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN ${p.from} AND ${p.to}`;

/** The statement behind countLiveRows. */
export const countLiveRowsSql = (p: Pick<RangeParams, 'importId'>) => sql`SELECT coalesce(
       (SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = ${p.importId})
        FROM import_phases p WHERE p.import_id = ${p.importId} AND p.position = 0 AND p.status = 'completed'),
       (SELECT count(*) FROM import_rows r WHERE ${liveRow(p.importId)}))::int AS n`;

/** The statement behind countLiveRowsIn. */
export const countLiveRowsInSql = (p: RangeParams) => sql`SELECT count(*)::int AS n FROM import_rows r WHERE ${liveRowsIn(p)}`;

/**
 * Rows no phase has removed. Once prevalidation completed, every staged row is counted in its
 * total and every removed one has exactly one row error, so a subtraction replaces the
 * anti-join over all staged rows that each phase would otherwise pay for.
 */
export async function countLiveRows(tx: Queryable, importId: string): Promise<number> {
  const res = await tx.query<{ n: number }>(countLiveRowsSql({ importId: sql.param(importId, 'import id') }));
  return res.rows[0]?.n ?? 0;
}

/** The live rows of the range `from`..`to`. */
export async function countLiveRowsIn(tx: Queryable, importId: string, from: number, to: number): Promise<number> {
  const p = { importId: sql.param(importId, 'import id'), from: sql.param(from, 'first row of the range'), to: sql.param(to, 'last row of the range') };
  const res = await tx.query<{ n: number }>(countLiveRowsInSql(p));
  return res.rows[0]?.n ?? 0;
}

export interface StagedRow {
  row: number;
  /** Where a person finds the row in the file (SourceRow.line); null: row + 1. */
  line?: number | null;
  raw: Record<string, unknown>;
  vals: Record<string, unknown> | null;
  keys: Record<string, string>;
  ident: string | null;
}

export interface RowError {
  row: number;
  /** Left out: the database fills it from the staged row (trigger of migration 0010). */
  line?: number | null;
  code: RowErrorCode;
  field: string | null;
  message: string;
  data: Record<string, unknown>;
}

/** The COPY text of staged rows (see copyStagedRows). */
export function stagedRowsCopyText(importId: string, rows: readonly StagedRow[]): string {
  let text = '';
  for (const r of rows) {
    text += copyLine([
      importId,
      r.row,
      r.line ?? null,
      JSON.stringify(r.raw),
      r.vals === null ? null : JSON.stringify(r.vals),
      JSON.stringify(r.keys),
      r.ident,
    ]);
  }
  return text;
}

export async function copyStagedRows(tx: Queryable, data: string | Buffer): Promise<void> {
  await tx.copyIn('import_rows', ['import_id', 'row', 'line', 'raw', 'vals', 'keys', 'ident'], data);
}

/** The COPY text of row errors (see copyRowErrors). */
export function rowErrorsCopyText(importId: string, phase: string, errors: readonly RowError[]): string {
  let text = '';
  for (const e of errors) {
    text += copyLine([importId, e.row, e.line ?? null, phase, e.code, e.field, e.message, JSON.stringify(e.data)]);
  }
  return text;
}

export async function copyRowErrors(tx: Queryable, data: string | Buffer): Promise<void> {
  await tx.copyIn('import_errors', ['import_id', 'row', 'line', 'phase', 'code', 'field', 'message', 'data'], data);
}

const WORKING_TABLES = ['import_row_refs', 'import_row_ids', 'import_rows'] as const;

export async function dropWorkingRows(tx: Queryable, importId: string): Promise<void> {
  for (const table of WORKING_TABLES) await tx.query(`DELETE FROM ${table} WHERE import_id = $1`, [importId]);
}

/**
 * The same, `rows` rows per transaction: what a completed import does, so that dropping a large
 * import's rows never holds PGlite's one session for long. Rows left by a run that dies here
 * belong to a final import, which the abandoned-rows sweep cleans up.
 */
export async function dropWorkingRowsInRanges(db: Db, importId: string, rows: number): Promise<void> {
  const res = await db.query<{ last: number }>('SELECT coalesce(max(row), 0)::int AS last FROM import_rows WHERE import_id = $1', [importId]);
  const last = res.rows[0]?.last ?? 0;
  for (let from = 1; from <= last; from += rows) {
    const to = Math.min(from + rows - 1, last);
    await db.transaction(async (tx) => {
      for (const table of WORKING_TABLES) await tx.query(`DELETE FROM ${table} WHERE import_id = $1 AND row BETWEEN $2 AND $3`, [importId, from, to]);
    });
  }
  await dropWorkingRows(db, importId); // anything staged past `last` meanwhile (nothing should be)
}

/**
 * Refreshes the planner's statistics of the staged rows. Right after a large COPY they are
 * missing, and the planner then picks nested loops over what are really hash joins of
 * hundreds of thousands of rows.
 */
export async function analyzeWorkingRows(tx: Queryable, table: 'import_rows' | 'import_row_ids' = 'import_rows'): Promise<void> {
  await tx.query(analyzeWorkingRowsSql(table));
}

export const analyzeWorkingRowsSql = (table: 'import_rows' | 'import_row_ids') => sql`ANALYZE ${sql.ident(table)}`;

/**
 * Planner settings for one phase's transaction: more memory per sort and hash (work_mem), so
 * the joins and windows over a large import's rows stay in memory; and no JIT compilation.
 * A phase's statements are long and estimated costly, so PostgreSQL compiles them with
 * inlining and optimization: measured on this pipeline, that compilation took 0.8 s of
 * transforming's 1.6 s at 100k rows, and made it slower at 1M rows too (11.7 s against 10.0 s).
 */
export async function planForImport(tx: Queryable, workMem: string): Promise<void> {
  if (!WORK_MEM_PATTERN.test(workMem)) throw new Error(`work_mem must look like 64MB, got ${JSON.stringify(workMem)}`);
  await tx.exec(`SET LOCAL work_mem = '${workMem}'; SET LOCAL jit = off`);
}

/** Imports of at least this many rows vacuum the working tables once their rows are dropped. */
export const VACUUM_AFTER_ROWS = 10_000;

/**
 * Reclaims the working rows cleanup deleted. Autovacuum would, but it can be off (it is on the
 * machine the benchmark was measured on), and then every later import scans millions of dead
 * rows: at 1M rows per import, each phase got seconds slower per import already run. Runs
 * outside a transaction; SKIP_LOCKED leaves a table another worker is vacuuming to it.
 */
export async function vacuumWorkingRows(db: Pick<Queryable, 'exec'>): Promise<void> {
  await db.exec(`VACUUM (SKIP_LOCKED) ${WORKING_TABLES.join(', ')}`);
}
