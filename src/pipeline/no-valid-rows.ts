import type { Queryable } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import { unmappedHeaders } from '../lifecycle/import-facts.js';

// The reason an import with no valid row fails with. "See the row errors" alone left people
// guessing when the cause was the mapping: a typical export (First Name, Last Name, Mobile Phone
// Number) has no header that maps to `name`, and its columns were dropped silently. So the
// reason says what most rows failed for, and which of the file's columns mapped to no field.

const LISTED_HEADERS = 20;

export async function noValidRowsFailure(tx: Queryable, importId: string, summary: string): Promise<ImportFailure> {
  const top = await tx.query<{ code: string; field: string | null; n: number }>(
    `SELECT code, field, count(*)::int AS n FROM import_errors WHERE import_id = $1 AND code <> 'duplicate'
     GROUP BY code, field ORDER BY n DESC, code, field LIMIT 1`,
    [importId],
  );
  const parts = [summary];
  const t = top.rows[0];
  if (t) parts.push(`most common problem: ${t.code}${t.field ? ` (${t.field})` : ''} in ${t.n} row${t.n === 1 ? '' : 's'}`);
  const unmapped = await unmappedHeaders(tx, importId);
  if (unmapped.length > 0) {
    parts.push(`the file's columns ${headerList(unmapped)} map to no field: name the right ones in column_mapping ({ field: "Header" }), or create the import with review: true to see and fix the mapping first`);
  }
  return new ImportFailure('no_valid_rows', `${parts.join('; ')}; see the row errors`);
}

export function headerList(headers: readonly string[]): string {
  const shown = headers.slice(0, LISTED_HEADERS).map((h) => `"${h}"`).join(', ');
  return headers.length > LISTED_HEADERS ? `${shown} and ${headers.length - LISTED_HEADERS} more` : shown;
}
