// XLSX → header + rows from the first worksheet. Order of work: get random access (spool a
// stream to a temp file), check the zip's directory against the limits, find the parts,
// inflate them once under a byte budget (the zip-bomb guard), then let exceljs stream the
// sheet out of a rebuilt zip holding only those parts.

import ExcelJS from 'exceljs';
import type { ByteSource } from '../byte-source.js';
import { FileReadError } from '../file-read-error.js';
import { cellsToValues, isBlankCell, normaliseHeaders, type ColumnLabel } from '../header-row.js';
import { PARSE_ERROR_KEY, type OpenedRows, type ReadLimits, type SourceRow } from '../row-source.js';
import { cellValue } from './cell-value.js';
import { excelJsZip, type ExcelJsZip } from './exceljs-zip.js';
import { bufferAccess, spoolToTempFile, type RandomAccess } from './random-access.js';
import { locateParts } from './workbook-parts.js';
import { readSharedStrings, SharedStrings, type SharedStringLimits } from './shared-strings.js';
import { corrupted, readCentralDirectory } from './zip-directory.js';
import { consumeEntry, InflateBudget, inflateEntry } from './zip-entries.js';

interface SheetRow {
  /** The sheet's own row number (1 = the first row in Excel). */
  number: number;
  /** Index = column - 1; sparse where cells are empty. */
  cells: unknown[];
}

export async function openXlsx(source: ByteSource, limits: Required<ReadLimits>): Promise<OpenedRows> {
  const file = await randomAccess(source);
  let zip: ExcelJsZip | undefined;
  try {
    const entries = await readCentralDirectory(file, {
      maxUncompressedBytes: limits.maxXlsxUncompressedBytes,
      maxEntries: limits.maxXlsxEntries,
    });
    const budget = new InflateBudget(limits.maxXlsxUncompressedBytes);
    const parts = await locateParts(file, entries, budget);
    // Every part is inflated and counted before exceljs sees anything: it would otherwise
    // inflate without limit. The shared strings are read here, into a bounded table (see
    // shared-strings.ts); exceljs gets an empty table in their place and looks entries up in
    // ours. The sheet is scanned for a text or tag longer than any real cell, since exceljs
    // holds each one whole while it parses it.
    const strings = parts.sharedStrings
      ? await consumeEntry(file, parts.sharedStrings, budget, (xml) => readSharedStrings(xml, sharedStringLimits(limits)))
      : new SharedStrings(sharedStringLimits(limits));
    if (parts.styles) await inflateEntry(file, parts.styles, budget);
    await consumeEntry(file, parts.sheet, budget, (xml) => checkXmlRuns(xml, limits.maxCellChars));
    const rebuilt = excelJsZip(file, { ...parts, sharedStrings: undefined });
    zip = rebuilt;
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(rebuilt.stream, {
      worksheets: 'emit',
      sharedStrings: 'ignore',
      styles: 'cache', // needed to tell dates from numbers
      hyperlinks: 'ignore', // a link cell's value is its text
      entries: 'emit',
    });
    // exceljs's worksheet reader resolves a shared-string cell as `workbook.sharedStrings[i]`;
    // with sharedStrings 'ignore' it never assigns that table itself, so ours is used.
    (reader as unknown as { sharedStrings: unknown }).sharedStrings = strings.asIndexable();
    const sheet = sheetRows(reader, parts.date1904, rebuilt.failure, limits);

    let header: SheetRow | undefined;
    for (;;) {
      const next = await sheet.next();
      if (next.done) break;
      if (!next.value.cells.every(isBlankCell)) {
        header = next.value;
        break;
      }
    }
    if (!header) throw new FileReadError('invalid_header', 'The first worksheet is empty: it has no header row.');
    const cells = header.cells;
    const headers = normaliseHeaders(Array.from({ length: cells.length }, (_, i) => headerText(cells[i])), columnLetter);
    const headerNumber = header.number;

    async function* rows(): AsyncGenerator<SourceRow> {
      try {
        for await (const { number, cells } of sheet) {
          // Numbered from the sheet's row numbers, so blank (or absent) rows keep the
          // numbering aligned with what Excel shows.
          if (cells.every(isBlankCell)) continue;
          const values = cellsToValues(headers, cells);
          const long = cells.findIndex((c) => typeof c === 'string' && c.length > limits.maxCellChars);
          if (long >= 0) values[PARSE_ERROR_KEY] = `Cell ${columnLetter(long + 1)} is longer than ${limits.maxCellChars} characters`;
          yield { row: number - headerNumber, line: number, values };
        }
      } finally {
        await sheet.return(undefined);
        rebuilt.stream.destroy();
      }
    }
    return {
      headers,
      rows: rows(),
      dispose: async () => {
        rebuilt.stream.destroy();
        await file.close();
      },
    };
  } catch (err) {
    zip?.stream.destroy();
    await file.close();
    throw err;
  }
}

async function randomAccess(source: ByteSource): Promise<RandomAccess> {
  if (source.buffer) return bufferAccess(source.buffer);
  const head = await source.peek(0);
  // A stream that fit in the sniffed prefix is already in memory.
  if (source.ended) return bufferAccess(head);
  return spoolToTempFile(source.chunks());
}

async function* sheetRows(
  reader: ExcelJS.stream.xlsx.WorkbookReader,
  date1904: boolean,
  zipFailure: () => unknown,
  limits: Required<ReadLimits>,
): AsyncGenerator<SheetRow> {
  try {
    // The rebuilt zip holds exactly one worksheet: the first one.
    for await (const worksheet of reader) {
      let previous = 0;
      for await (const row of worksheet) {
        // Rows normally carry their number; a writer that omits it means "the next row".
        const number = Number.isInteger(row.number) && row.number > previous ? row.number : previous + 1;
        previous = number;
        const cells: unknown[] = [];
        row.eachCell((cell, column) => {
          if (column > limits.maxColumns) throw tooManyColumns(limits.maxColumns);
          cells[column - 1] = cellValue(cell, date1904);
        });
        yield { number, cells };
      }
    }
  } catch (err) {
    // The rebuilt zip could not be produced (e.g. the temp file failed): that is the error.
    const cause = zipFailure() ?? err;
    // Anything exceljs or its unzipper throws means a malformed workbook; file-system
    // errors (they carry a syscall) are not the file's fault and propagate as they are.
    if (cause instanceof FileReadError || (cause as { syscall?: unknown } | undefined)?.syscall !== undefined) throw cause;
    throw corrupted(cause instanceof Error ? cause.message : String(cause));
  }
}

function sharedStringLimits(limits: Required<ReadLimits>): SharedStringLimits {
  return {
    maxSharedStrings: limits.maxXlsxSharedStrings,
    maxSharedStringBytes: limits.maxXlsxSharedStringBytes,
    maxCellChars: limits.maxCellChars,
  };
}

function tooManyColumns(max: number): FileReadError {
  return new FileReadError('unreadable_file', `The sheet has a cell beyond column ${max} (the limit MAX_COLUMNS).`);
}

// A cell of N characters takes at most 4N bytes of UTF-8, or 6N written as character
// references (`&#x1F600;` is one character in 9 bytes, but two UTF-16 units); tags, with their
// attributes, are far shorter. A longer run of bytes between two '<' / '>' is no cell anyone
// typed, and exceljs would hold it whole.
async function checkXmlRuns(xml: AsyncIterable<Buffer>, maxCellChars: number): Promise<void> {
  const maxBytes = 6 * maxCellChars + 1024;
  let run = 0;
  for await (const chunk of xml) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x3c || b === 0x3e) run = 0;
      else if (++run > maxBytes) {
        throw new FileReadError(
          'unreadable_file',
          `The sheet holds a cell longer than ${maxCellChars} characters (the limit MAX_CELL_CHARS).`,
        );
      }
    }
  }
}

function headerText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

const columnLetter: ColumnLabel = (n) => {
  let label = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) label = String.fromCharCode(65 + ((c - 1) % 26)) + label;
  return label;
};
