import type { Queryable } from '../db/db.js';
import { csvStream, jsonArrayStream } from '../files/index.js';
import type { Storage } from '../storage/storage.js';
import type { RowErrorView } from '../domain/import.js';
import { ERRORS_FILE_COLUMNS } from '../domain/errors-file.js';
import { RESULTS_FILE_COLUMNS, rowResultPages } from './row-results.js';
import { teePages, type Tee } from './tee-pages.js';

// The files an import keeps in storage, all under `imports/<organization>/<import>/`:
//
//   original-<random>   the bytes PUT to the upload URL (async); read by prevalidation, then deleted
//   upload.csv          the original rows as CSV, whatever format was uploaded  (save_upload);
//                       formula-guarded like every CSV download, reversibly: uploaded again
//                       it gives the values as uploaded
//   upload.json         the original rows as a JSON array of objects, values exactly as uploaded
//   errors.csv          _import_row, _import_line, _import_phase, _import_code, _import_field,
//                       _import_message, then the original columns: made to be fixed and
//                       uploaded again as it is (the `_import_` columns are ignored on upload,
//                       domain/errors-file.ts; the formula guard comes off, files/formula-guard.ts)
//   errors.json         [{ row, phase, code, field, message, data }] in row order
//   results.csv         one line per input row: row, line, outcome, record_id, error_code
//   results.json        the same as a JSON array of objects (row-results.ts)
//
// The four downloads are written from the database — `import_rows.raw` (every input row, as
// uploaded) and `import_errors` — by `writeImportFiles`, which runs before the working rows are
// dropped: in cleanup, and wherever an import fails. Everything streams in pages,
// each page read once for both formats; no file is ever held in memory. The `has_upload_file` /
// `has_errors_file` flags are set here and only here, so a flag is true exactly when its files exist.

export const DOWNLOAD_FILES = ['upload.csv', 'upload.json', 'errors.csv', 'errors.json', 'results.csv', 'results.json'] as const;
export type DownloadFile = (typeof DOWNLOAD_FILES)[number];

const CONTENT_TYPES: Record<DownloadFile, string> = {
  'upload.csv': 'text/csv; charset=utf-8',
  'upload.json': 'application/json; charset=utf-8',
  'errors.csv': 'text/csv; charset=utf-8',
  'errors.json': 'application/json; charset=utf-8',
  'results.csv': 'text/csv; charset=utf-8',
  'results.json': 'application/json; charset=utf-8',
};

const PAGE_ROWS = 2000;
/** Files written here are derived from rows already accepted; only uploads have a size limit. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

type ImportRef = { id: string; organization_id: string };

export function importFilesPrefix(imp: ImportRef): string {
  return `imports/${imp.organization_id}/${imp.id}/`;
}

export function importFileKey(imp: ImportRef, file: DownloadFile): string {
  return importFilesPrefix(imp) + file;
}

/** A fresh key per PUT: two racing uploads never write the same object (see receive-upload.ts). */
export function originalUploadKey(imp: ImportRef, nonce: string): string {
  return `${importFilesPrefix(imp)}original-${nonce}`;
}

export function contentTypeOf(file: DownloadFile): string {
  return CONTENT_TYPES[file];
}

/** The name a person's browser saves the download as. */
export function downloadFilename(imp: ImportRef, file: DownloadFile): string {
  return `${imp.id}-${file}`;
}

export function isDownloadAvailable(imp: { has_upload_file: boolean; has_errors_file: boolean; has_results_file: boolean }, file: DownloadFile): boolean {
  if (file.startsWith('results.')) return imp.has_results_file;
  return file.startsWith('upload.') ? imp.has_upload_file : imp.has_errors_file;
}

/** Told, after each page read, how many rows have been read so far and about how many there are. */
export type FilesProgress = (done: number, of: number) => void;

interface FileFacts {
  organization_id: string;
  /** With progress only. */
  last_row?: number;
  error_rows?: number;
  save_upload: boolean;
  file_headers: string[] | null;
  prevalidated: boolean;
  has_rows: boolean;
  has_errors: boolean;
}

/**
 * Writes the import's downloads from its working rows and row errors.
 * Call before the working rows are dropped, once nothing changes them any more: cleanup does
 * (outside a transaction, so that reading page by page never holds PGlite's session long), and
 * so do the transactions that drop the rows of a failed import. Writing again gives the same
 * files (writes are atomic and overwrite). Returns which files exist now, for the caller to
 * record (lifecycle/import-facts.ts recordFiles) in the same transaction as what ends the import.
 */
export async function writeImportFiles(tx: Queryable, storage: Storage, importId: string, progress?: FilesProgress): Promise<WrittenFiles> {
  const facts = (
    await tx.query<FileFacts>(
      `SELECT i.organization_id, i.save_upload, i.file_headers,
         EXISTS (SELECT 1 FROM import_phases p WHERE p.import_id = i.id AND p.position = 0 AND p.status = 'completed') AS prevalidated,
         EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = i.id) AS has_rows,
         EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = i.id) AS has_errors${
           progress
             ? `,
         coalesce((SELECT max(r.row) FROM import_rows r WHERE r.import_id = i.id), 0)::int AS last_row,
         (SELECT count(*) FROM import_errors e WHERE e.import_id = i.id)::int AS error_rows`
             : ''
         }
       FROM imports i WHERE i.id = $1`,
      [importId],
    )
  ).rows[0];
  if (!facts) return { upload: false, errors: false, results: false };
  const imp = { id: importId, organization_id: facts.organization_id };
  const headers = facts.file_headers ?? [];
  // Rows to read, about: the staged rows (numbered from 1) when the upload files are written, and the row errors.
  let read = 0;
  const of = (withUploadFiles: boolean) => (withUploadFiles ? (facts.last_row ?? 0) : 0) + (facts.error_rows ?? 0);
  const counted = <T>(pages: AsyncGenerator<T[]>, total: number): AsyncGenerator<T[]> =>
    progress ? countPages(pages, (n) => progress((read += n), total)) : pages;

  // Only a completely read file has "original rows": a file that failed half way through
  // (unreadable_file) would give a truncated copy, which is worse than none.
  const withUpload = facts.save_upload && facts.prevalidated && facts.has_rows;
  if (withUpload) {
    const columns = await columnsOf(tx, importId, headers, 'import_rows', 'raw');
    const tee = teePages(counted(rawPages(tx, importId), of(true)));
    const [forCsv, forJson] = tee.readers;
    await putTogether(storage, tee, [
      ['upload.csv', importFileKey(imp, 'upload.csv'), csvStream(columns, mapPages(forCsv, (r) => columns.map((c) => r.raw[c])))],
      ['upload.json', importFileKey(imp, 'upload.json'), jsonArrayStream(mapPages(forJson, (r) => ordered(r.raw, columns)))],
    ]);
  }
  if (facts.has_errors) {
    const columns = await columnsOf(tx, importId, headers, 'import_errors', 'data');
    const tee = teePages(counted(errorPages(tx, importId), of(withUpload)));
    const [forCsv, forJson] = tee.readers;
    const csvRows = mapPages(forCsv, (e) => [e.row, e.line, e.phase, e.code, e.field, e.message, ...columns.map((c) => e.data?.[c])]);
    const jsonRows = mapPages(forJson, (e) => ({ ...e, data: e.data ? ordered(e.data, columns) : null }));
    await putTogether(storage, tee, [
      ['errors.csv', importFileKey(imp, 'errors.csv'), csvStream([...ERRORS_FILE_COLUMNS, ...columns], csvRows)],
      ['errors.json', importFileKey(imp, 'errors.json'), jsonArrayStream(jsonRows)],
    ]);
  }
  // The per-row results, like the original rows, only of a completely read file.
  const withResults = facts.prevalidated && facts.has_rows;
  if (withResults) {
    const tee = teePages(rowResultPages(tx, importId));
    const [forCsv, forJson] = tee.readers;
    await putTogether(storage, tee, [
      ['results.csv', importFileKey(imp, 'results.csv'), csvStream([...RESULTS_FILE_COLUMNS], mapPages(forCsv, (r) => RESULTS_FILE_COLUMNS.map((c) => r[c])))],
      ['results.json', importFileKey(imp, 'results.json'), jsonArrayStream(forJson)],
    ]);
  }
  return { upload: withUpload, errors: facts.has_errors, results: withResults };
}

export interface WrittenFiles {
  upload: boolean;
  errors: boolean;
  results: boolean;
}

/**
 * The original columns: the file's header order, then keys only some rows have (JSON rows need
 * not share keys) in order of the first row that has them. jsonb does not keep key order, so
 * the stored header list is what keeps the person's column order.
 */
async function columnsOf(tx: Queryable, importId: string, headers: string[], table: 'import_rows' | 'import_errors', column: 'raw' | 'data'): Promise<string[]> {
  const extra = await tx.query<{ k: string }>(
    `SELECT k FROM (
       SELECT k, min(t.row) AS first FROM ${table} t, jsonb_object_keys(t.${column}) AS k
       WHERE t.import_id = $1 AND jsonb_typeof(t.${column}) = 'object' GROUP BY k) x
     WHERE NOT (k = ANY($2::text[])) ORDER BY first, k`,
    [importId, headers],
  );
  return [...headers, ...extra.rows.map((r) => r.k)];
}

function ordered(values: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) if (Object.hasOwn(values, c)) out[c] = values[c];
  return out;
}

interface RawRow {
  row: number;
  raw: Record<string, unknown>;
}

type ErrorRow = RowErrorView;

/** Pages through a table by row number (keyset), so memory holds a few pages whatever the size. */
async function* pages<T extends { row: number }>(tx: Queryable, sql: string, importId: string): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const res = await tx.query<T>(sql, [importId, after, PAGE_ROWS]);
    if (res.rows.length > 0) yield res.rows;
    if (res.rows.length < PAGE_ROWS) return;
    after = res.rows[res.rows.length - 1]!.row;
  }
}

function rawPages(tx: Queryable, importId: string): AsyncGenerator<RawRow[]> {
  return pages<RawRow>(tx, 'SELECT row, raw FROM import_rows WHERE import_id = $1 AND row > $2 ORDER BY row LIMIT $3', importId);
}

function errorPages(tx: Queryable, importId: string): AsyncGenerator<ErrorRow[]> {
  return pages<ErrorRow>(
    tx,
    'SELECT row, coalesce(line, row + 1) AS line, phase, code, field, message, data FROM import_errors WHERE import_id = $1 AND row > $2 ORDER BY row LIMIT $3',
    importId,
  );
}

/**
 * Writes the CSV and the JSON of the same rows side by side (they share one read, see
 * tee-pages.ts). Waits for both before reporting a failure, so nothing is left reading the
 * transaction once this returns.
 */
async function putTogether(storage: Storage, tee: Tee<unknown>, files: [DownloadFile, string, NodeJS.ReadableStream][]): Promise<void> {
  const results = await Promise.allSettled(
    files.map(([file, key, body]) =>
      storage.put(key, body, { maxBytes: NO_LIMIT, contentType: CONTENT_TYPES[file] }).catch((err: unknown) => {
        tee.abort(err); // the other file's reader must not wait for this one
        throw err;
      }),
    ),
  );
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

async function* countPages<T>(pages: AsyncIterable<T[]>, onPage: (rows: number) => void): AsyncGenerator<T[]> {
  for await (const page of pages) {
    onPage(page.length);
    yield page;
  }
}

async function* mapPages<T, U>(pages: AsyncIterable<T[]>, fn: (r: T) => U): AsyncGenerator<U[]> {
  for await (const page of pages) yield page.map(fn);
}
