// exceljs cell values → what a row carries: strings, numbers, booleans, dates as ISO strings.
// A person sees a formula's result, a link's text and a rich text's characters, so those are
// what is imported; formatting never is.

import type { Cell, CellValue, RichText } from 'exceljs';

/** `undefined` for an empty cell. */
export function cellValue(cell: Cell, date1904: boolean): unknown {
  return plain(cell.value, cell.numFmt, date1904);
}

function plain(value: CellValue, numFmt: string | undefined, date1904: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return isoDate(value);
  if ('richText' in value) return richText(value.richText);
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    // The streaming reader hands a formula's cached result over as a bare number even when
    // the cell is formatted as a date (e.g. =TODAY()), so apply the format here.
    if (typeof result === 'number' && isDateFormat(numFmt)) return isoDate(excelSerialToDate(result, date1904));
    return plain(result ?? null, undefined, date1904);
  }
  if ('error' in value) return value.error;
  if ('hyperlink' in value) return plain(value.text as CellValue, numFmt, date1904);
  return undefined; // e.g. an unresolved shared-string reference in a broken file
}

function richText(runs: RichText[]): string {
  return runs.map((r) => r.text ?? '').join('');
}

/** `YYYY-MM-DD` for a date at midnight UTC (a date without time), else the full ISO timestamp. */
export function isoDate(date: Date): string | undefined {
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

// Excel stores dates as days since 1899-12-30 (or 1904-01-01), in no particular time zone;
// like exceljs, read them as UTC so a date without time stays on its day.
function excelSerialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
}

// Same rule exceljs applies to plain cells: a format with date/time tokens outside quoted
// literals and [bracketed] sections (colours, locales, elapsed-time markers).
function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt) return false;
  return /[ymdhMsb]/.test(numFmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}
