// COPY ... FROM STDIN in PostgreSQL's text format: one line per row, tab-separated, `\N` for
// NULL, and backslash escapes for the four characters that would break the framing.

const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const s = typeof value === 'string' ? value : String(value);
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return fields.map(copyField).join('\t') + '\n';
}
