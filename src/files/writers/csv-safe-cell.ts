// One value → the text of one CSV cell, safe to open in a spreadsheet. Downloads echo what
// users uploaded; a cell such as `=HYPERLINK("http://evil", "click")` or `@SUM(…)` would run as
// a formula when the file is opened in Excel/LibreOffice/Sheets (CSV injection), so any text
// starting with = + - @ TAB or CR is prefixed with a single quote, which those programs treat
// as "this is text" (OWASP's recommendation). The guard is reversible: the CSV reader removes
// it again, so an uploaded download gives back the values it was written from (see
// ../formula-guard.ts for the exact rule, including values that really start with a quote).

import { guardFormula } from '../formula-guard.js';

export function csvSafeCell(v: unknown): string {
  const text = cellText(v);
  // A JavaScript number is a number, not a formula: -5 stays -5 (the string "-5" would not).
  if (typeof v === 'number' || typeof v === 'bigint') return text;
  return guardFormula(text);
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  // Nested values (reference lists, metadata) round-trip as JSON rather than "[object Object]".
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}
