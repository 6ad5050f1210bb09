// The errors file (errors.csv) is made to come back: a person fixes its cells and uploads it as
// it is. Its bookkeeping columns therefore carry a prefix that no resource field can have
// (fields are lower-case letters, digits and `_`, never starting with `_`), and an upload
// ignores every column whose header starts with it: such a column is never mapped, never an
// unknown header, and is not kept with the original rows.

export const BOOKKEEPING_PREFIX = '_import_';

/** errors.csv's first columns, before the original columns of the row. */
export const ERRORS_FILE_COLUMNS = ['row', 'line', 'phase', 'code', 'field', 'message'].map((c) => BOOKKEEPING_PREFIX + c);

/** True for a header the errors file wrote: ignored on upload (case and surrounding spaces ignored). */
export function isBookkeepingHeader(header: string): boolean {
  return header.trim().toLowerCase().startsWith(BOOKKEEPING_PREFIX);
}
