// The formula guard of CSV downloads, and its reverse for CSV uploads, so that a download
// opened in a spreadsheet runs no formula AND a re-upload of the same cell gives back the
// original value (the errors file is made to be fixed and uploaded again).
//
// The rule (README "Downloads"):
//   writing  — text that starts with = + - @ TAB or CR, after any number of `'`, gets one more
//              `'` in front: `=1+1` → `'=1+1`, `+1 555 0100` → `'+1 555 0100`,
//              `'=x` (a value that really starts with a quote) → `''=x`.
//   reading  — a CSV cell that starts with `'` followed by such text loses that ONE `'`:
//              `'=1+1` → `=1+1`, `''=x` → `'=x`; any other cell is kept as it is (`'abc`,
//              `'5`, `'` stay).
// The writer guards exactly the texts whose guarded form the reader unguards, so reading what
// was written is the identity for every text. Spreadsheets treat a leading `'` as "this is
// text" (OWASP's recommendation against CSV injection), so the guard is what keeps the cell
// inert in Excel/LibreOffice/Sheets.

const GUARDED_START = /^'*[=+\-@\t\r]/;

/** Text → the text written to a CSV cell. */
export function guardFormula(text: string): string {
  return GUARDED_START.test(text) ? `'${text}` : text;
}

/** A CSV cell as read → the value it stands for (the inverse of guardFormula). */
export function unguardFormula(cell: string): string {
  return cell.length > 1 && cell.charCodeAt(0) === 0x27 && GUARDED_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
