// CSV bytes → header + rows. Encoding and dialect are decided from the sniffed prefix; the
// first non-blank record is the header; rows are numbered by record, so a quoted field that
// spans lines does not shift the numbers of the rows after it. Cells (headers too) lose the
// downloads' formula guard (formula-guard.ts), so a downloaded CSV uploads as the values it holds.

import type { ByteSource } from '../byte-source.js';
import { FileReadError } from '../file-read-error.js';
import { cellsToValues, isBlankCell, normaliseHeaders } from '../header-row.js';
import { PARSE_ERROR_KEY, type OpenedRows, type SourceRow } from '../row-source.js';
import { decodeText, hasReplacement, REPLACED_BYTES_MESSAGE, type DecodeReport, type TextEncodingName } from '../text-encoding.js';
import { unguardFormula } from '../formula-guard.js';
import { detectDialect } from './csv-dialect.js';
import { csvRecords, type CsvRecord } from './csv-records.js';

export async function openCsv(
  source: ByteSource,
  encoding: TextEncodingName,
  prefixText: string,
  maxRecordChars: number,
  limits: { maxColumns: number; maxCellChars: number } = { maxColumns: Infinity, maxCellChars: Infinity },
): Promise<OpenedRows> {
  let headerIndex = 0;
  const describe = (i: number): string => (headerIndex > 0 ? `Row ${i - headerIndex}` : 'The header row');
  const decoded: DecodeReport = { replaced: false };
  const dialect = detectDialect(prefixText);
  const records = csvRecords(decodeText(source.chunks(), encoding, decoded), dialect, maxRecordChars, describe);

  let header: CsvRecord | undefined;
  for (;;) {
    const next = await records.next();
    if (next.done) break;
    if (next.value.error !== undefined || !next.value.cells.every(isBlankCell)) {
      header = next.value;
      break;
    }
  }
  if (!header) throw new FileReadError('invalid_header', 'The file has no header row.');
  if (header.error !== undefined) throw new FileReadError('invalid_header', `The header row is malformed: ${header.error}.`);
  if (header.cells.length > limits.maxColumns) {
    throw new FileReadError('unreadable_file', `The header row has ${header.cells.length} columns; at most ${limits.maxColumns} are read (the limit MAX_COLUMNS).`);
  }
  const headers = normaliseHeaders(header.cells.map(unguardFormula));
  headerIndex = header.index;

  async function* rows(): AsyncGenerator<SourceRow> {
    try {
      for await (const record of records) {
        // Blank records are skipped, but their number is used up: row numbers stay aligned
        // with what a person counts in the file.
        // The downloads' formula guard comes off again (formula-guard.ts): a cell written as
        // `'+1 555 0100` is the value `+1 555 0100`.
        for (let i = 0; i < record.cells.length; i++) {
          const c = record.cells[i]!;
          if (c.charCodeAt(0) === 0x27) record.cells[i] = unguardFormula(c);
        }
        if (record.error === undefined && record.cells.every(isBlankCell)) continue;
        const values = cellsToValues(headers, record.cells);
        // A quoting problem explains any cell-count problem, so it wins.
        if (record.error !== undefined) values[PARSE_ERROR_KEY] = record.error;
        else if (decoded.replaced && record.cells.some((c) => hasReplacement(decoded, c))) values[PARSE_ERROR_KEY] = REPLACED_BYTES_MESSAGE;
        else {
          const long = record.cells.findIndex((c) => c.length > limits.maxCellChars);
          if (long >= 0) values[PARSE_ERROR_KEY] = `Column ${long + 1} is longer than ${limits.maxCellChars} characters (the limit MAX_CELL_CHARS)`;
        }
        yield { row: record.index - headerIndex, line: record.line, values };
      }
    } finally {
      await records.return(undefined);
    }
  }
  return { headers, rows: rows(), delimiter: dialect.delimiter };
}
