// Header rules shared by CSV and XLSX, and the mapping of a row's cells onto those headers.
// Headers must be usable as field names: trimmed, non-blank, unique ignoring case (the column
// mapping matches them case-insensitively, so "Email" and "EMAIL" would be ambiguous).

import { FileReadError } from './file-read-error.js';
import { PARSE_ERROR_KEY } from './row-source.js';

/** How a column is named in messages: "3" for CSV, "C" for a spreadsheet. */
export type ColumnLabel = (columnNumber: number) => string;

export const numberLabel: ColumnLabel = (n) => String(n);

export function normaliseHeaders(cells: readonly string[], label: ColumnLabel = numberLabel): string[] {
  const trimmed = cells.map((c) => c.trim());
  // Excel exports often carry empty columns at the right edge; they are not columns anyone
  // meant. A blank header anywhere else is a real problem (which field would it map to?).
  let end = trimmed.length;
  while (end > 0 && trimmed[end - 1] === '') end--;
  const headers = trimmed.slice(0, end);
  if (headers.length === 0) throw new FileReadError('invalid_header', 'The header row is empty.');

  const firstSeen = new Map<string, number>();
  headers.forEach((header, i) => {
    if (header === '') throw new FileReadError('invalid_header', `Column ${label(i + 1)} has a blank header.`);
    const key = header.toLowerCase();
    const prev = firstSeen.get(key);
    if (prev === undefined) {
      firstSeen.set(key, i);
      return;
    }
    const prevHeader = headers[prev] ?? '';
    const where = `columns ${label(prev + 1)} and ${label(i + 1)}`;
    throw new FileReadError(
      'invalid_header',
      prevHeader === header
        ? `Header "${header}" appears twice (${where}).`
        : `Headers "${prevHeader}" and "${header}" differ only in case (${where}); headers must be unique ignoring case.`,
    );
  });
  return headers;
}

export function isBlankCell(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Maps cells (index = column - 1; may be sparse) onto headers. Absent/null cells stay absent.
 * Non-blank cells beyond the last header are not kept: the row gets a parse error instead,
 * since there is no field they could belong to and silently dropping data would be worse.
 */
export function cellsToValues(headers: readonly string[], cells: ArrayLike<unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const n = Math.min(headers.length, cells.length);
  for (let i = 0; i < n; i++) {
    const value = cells[i];
    if (value !== undefined && value !== null) setOwn(values, headers[i] ?? '', value);
  }
  let lastFilled = -1;
  for (let i = cells.length - 1; i >= headers.length; i--) {
    if (!isBlankCell(cells[i])) {
      lastFilled = i;
      break;
    }
  }
  if (lastFilled >= 0) {
    values[PARSE_ERROR_KEY] = `Row has ${lastFilled + 1} cells but the header has ${headers.length}`;
  }
  return values;
}

/** Assignment that also works for a header literally named "__proto__". */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
