// Streams rows as an RFC 4180 CSV download: CRLF line ends, fields quoted when they contain a
// quote, comma or line break, every cell formula-neutralised. Starts with a UTF-8 BOM because
// without it Excel opens UTF-8 CSV as Windows-1252 and mangles every accented character.

import { Readable } from 'node:stream';
import { csvSafeCell } from './csv-safe-cell.js';

export { csvSafeCell } from './csv-safe-cell.js';

const BOM = '\uFEFF';
const FLUSH_AT = 64 * 1024; // batch small lines into chunks worth a write

/** `pages`: the rows, a page (an array of rows) at a time; a page is formatted without awaiting. */
export function csvStream(headers: string[], pages: AsyncIterable<readonly unknown[][]>): Readable {
  // Readable.from pulls from the generator only when the consumer wants more: backpressure.
  return Readable.from(lines(headers, pages), { objectMode: false });
}

async function* lines(headers: string[], pages: AsyncIterable<readonly unknown[][]>): AsyncGenerator<Buffer> {
  let pending = BOM + csvLine(headers, headers.length);
  for await (const page of pages) {
    for (const row of page) pending += csvLine(row, headers.length);
    if (pending.length >= FLUSH_AT) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  yield Buffer.from(pending, 'utf8');
}

/** Short rows are padded to the header's width so every line has the same number of fields. */
function csvLine(cells: readonly unknown[], width: number): string {
  const padded = cells.length >= width ? cells : [...cells, ...new Array<unknown>(width - cells.length)];
  return `${csvRecord(padded)}\r\n`;
}

/** One record's fields, quoted and formula-neutralised, without a line end. */
export function csvRecord(cells: readonly unknown[]): string {
  return cells.map((c) => quote(csvSafeCell(c))).join(',');
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
