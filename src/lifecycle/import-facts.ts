import type { Queryable } from '../db/db.js';
import type { Stats } from '../domain/import.js';

// What an import learns about itself while it runs, other than its status: its stats, what its
// file turned out to be, the scope an overwrite covers, which download files exist.

/**
 * Merges counters into stats and recounts `duplicates` / `errors` from the row errors.
 */
export async function refreshStats(tx: Queryable, importId: string, patch: Partial<Stats> = {}): Promise<void> {
  await tx.query(
    `UPDATE imports SET updated_at = now(), stats = stats || $2::jsonb || (
       SELECT jsonb_build_object(
         'duplicates', count(*) FILTER (WHERE code = 'duplicate'),
         'errors', count(*) FILTER (WHERE code <> 'duplicate'))
       FROM import_errors WHERE import_id = $1)
     WHERE id = $1`,
    [importId, JSON.stringify(patch)],
  );
}

/**
 * An import that ends without completing: the rows no phase decided (it stopped first) are
 * counted as `unprocessed`, present only when there are any. Counters of the phase that was
 * running never reached the stats (a phase adds them when it completes), so what is there is
 * what committed.
 */
export async function countUndecidedRows(tx: Queryable, importId: string): Promise<void> {
  await tx.query(
    `UPDATE imports SET stats = CASE WHEN d.n > 0 THEN stats || jsonb_build_object('unprocessed', d.n) ELSE stats - 'unprocessed' END
     FROM (SELECT greatest(coalesce((stats ->> 'total')::int, 0)
             - coalesce((stats ->> 'created')::int, 0) - coalesce((stats ->> 'updated')::int, 0)
             - coalesce((stats ->> 'unchanged')::int, 0) - coalesce((stats ->> 'deleted')::int, 0)
             - coalesce((stats ->> 'duplicates')::int, 0) - coalesce((stats ->> 'errors')::int, 0), 0) AS n
           FROM imports WHERE id = $1) d
     WHERE id = $1`,
    [importId],
  );
}

/** After prevalidation: the mapping it applied, the file's headers and its format. */
export async function recordFileFacts(tx: Queryable, importId: string, f: { mapping: Record<string, string>; headers: readonly string[]; format: string }): Promise<void> {
  await tx.query('UPDATE imports SET column_mapping = $2::jsonb, file_headers = $3::jsonb, file_format = $4 WHERE id = $1', [
    importId,
    JSON.stringify(f.mapping),
    JSON.stringify(f.headers),
    f.format,
  ]);
}

/** The records an overwrite covered before it wrote anything (the mass-delete guard's base). */
export async function recordScopeCount(tx: Queryable, importId: string, count: number): Promise<void> {
  await tx.query('UPDATE imports SET scope_count_before = $2::int WHERE id = $1', [importId, count]);
}

/** Which downloads exist; set by the writer right after it wrote them. */
export async function recordFiles(tx: Queryable, importId: string, files: { upload: boolean; errors: boolean; results: boolean }): Promise<void> {
  await tx.query('UPDATE imports SET has_upload_file = $2, has_errors_file = $3, has_results_file = $4 WHERE id = $1', [
    importId,
    files.upload,
    files.errors,
    files.results,
  ]);
}

/** The retention sweep deleted the files. */
export async function recordFilesPurged(tx: Queryable, importId: string): Promise<void> {
  await tx.query('UPDATE imports SET has_upload_file = false, has_errors_file = false, has_results_file = false, files_purged_at = now() WHERE id = $1', [importId]);
}

/** The file's headers that the mapping prevalidation applied left unused (in file order). */
export async function unmappedHeaders(tx: Queryable, importId: string): Promise<string[]> {
  const res = await tx.query<{ file_headers: string[] | null; column_mapping: Record<string, string> | null }>(
    'SELECT file_headers, column_mapping FROM imports WHERE id = $1',
    [importId],
  );
  const row = res.rows[0];
  if (!row?.file_headers) return [];
  const used = new Set(Object.values(row.column_mapping ?? {}));
  return row.file_headers.filter((h) => !used.has(h));
}
