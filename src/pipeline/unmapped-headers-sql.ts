import { sql, type SqlFragment } from '../db/sql.js';
import type { StatementParams } from './statement-params.js';

/**
 * The file's headers the applied mapping left unused, as one text (the first ten, quoted, and
 * how many more), or NULL when every header maps. A scalar subquery that does not depend on the
 * row (computed once per statement). Row errors that most often mean "the column was there but
 * its header matched no field" (no identity, a required field missing) end with it: a typical
 * export's "First Name" never maps to name, and used to be dropped without a word.
 */
export function unmappedHeadersSql(p: Pick<StatementParams, 'importId'>): SqlFragment {
  return sql`SELECT string_agg('"' || un.name || '"', ', ' ORDER BY un.k) FILTER (WHERE un.k <= 10)
       || CASE WHEN count(*) > 10 THEN ' and ' || (count(*) - 10) || ' more' ELSE '' END
     FROM (
       SELECT h.name, row_number() OVER (ORDER BY h.n) AS k
       FROM imports x
       CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(x.file_headers, '[]'::jsonb)) WITH ORDINALITY AS h(name, n)
       WHERE x.id = ${p.importId}
         AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(coalesce(x.column_mapping, '{}'::jsonb)) c WHERE c.value = h.name)
     ) un`;
}
