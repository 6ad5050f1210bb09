// CSV text → records (arrays of cells), streamed. Uses papaparse's own parser core on
// successive slices of text, the way its chunk streamer does internally, rather than its Node
// duplex stream: the duplex drops the per-row errors (unclosed / stray quotes), and its
// chunking guesses the line ending and decodes bytes itself, both of which are decided better
// up front (see csv-dialect.ts and text-encoding.ts).

import Papa from 'papaparse';
import { FileReadError } from '../file-read-error.js';
import type { CsvDialect } from './csv-dialect.js';

export interface CsvRecord {
  /** 1-based position among all records of the file, blank ones and the header included. */
  index: number;
  /** Physical line (1-based) the record starts on: line breaks inside quoted cells count. */
  line: number;
  cells: string[];
  /** What is wrong with the record's quoting, for a person. */
  error?: string;
}

// The parts of papaparse's (untyped) low-level result this module relies on.
interface PapaResult {
  data: string[][];
  errors: { code: string; row: number; index?: number }[];
  meta: { cursor: number };
}

const QUOTE_ERRORS: Record<string, string> = {
  MissingQuotes: 'A quoted field is never closed: a closing " is missing',
  InvalidQuotes: 'A quoted field has a stray " inside it; write a quote inside a quoted field as ""',
};

export async function* csvRecords(
  text: AsyncIterable<string>,
  dialect: CsvDialect,
  maxRecordChars: number,
  /** Names record N in messages, e.g. "Row 12" once the header's position is known. */
  describe: (recordIndex: number) => string = (i) => `Record ${i}`,
): AsyncGenerator<CsvRecord> {
  const parser = new Papa.Parser({ delimiter: dialect.delimiter, newline: dialect.newline, quoteChar: '"' });
  let index = 0;
  let nextLine = 1;
  let pending = '';
  // Re-parsing a long unfinished record on every chunk would be quadratic; after a parse that
  // completed nothing, wait until the pending text has doubled before trying again.
  let parseAt = 0;
  // Physical lines before `pending`, to say on which line an unclosed quote opened.
  const lineBreak = dialect.newline === '\r' ? '\r' : '\n';
  let linesBefore = 0;
  const countLines = (text: string, end: number): number => {
    let n = 0;
    for (let i = text.indexOf(lineBreak); i >= 0 && i < end; i = text.indexOf(lineBreak, i + 1)) n++;
    return n;
  };

  const take = (result: PapaResult): CsvRecord[] => {
    const errors = new Map<number, string>();
    for (const e of result.errors) {
      // A quote that never closes swallows the rest of the file into one cell: no row after it
      // can be trusted, so the file fails, naming where the quote opened.
      if (e.code === 'MissingQuotes') {
        const opened = linesBefore + countLines(pending, Math.max(0, e.index ?? 0)) + 1;
        throw new FileReadError(
          'unreadable_file',
          `A quoted field opened on line ${opened} is never closed: a closing " is missing, so the rest of the file would be one cell.`,
        );
      }
      // Errors about the unfinished last record (row === data.length) are dropped with it.
      if (e.row < result.data.length && !errors.has(e.row)) errors.set(e.row, QUOTE_ERRORS[e.code] ?? e.code);
    }
    return result.data.map((cells, i) => {
      const record: CsvRecord = { index: ++index, line: nextLine, cells };
      nextLine += 1 + lineBreaksIn(cells);
      const error = errors.get(i);
      if (error !== undefined) record.error = error;
      return record;
    });
  };

  for await (const chunk of text) {
    pending += chunk;
    if (pending.length < parseAt && pending.length <= maxRecordChars) continue;
    const result = parser.parse(pending, 0, true) as PapaResult;
    linesBefore += countLines(pending, result.meta.cursor);
    pending = pending.slice(result.meta.cursor);
    parseAt = result.data.length === 0 ? pending.length * 2 : 0;
    yield* take(result);
    if (pending.length > maxRecordChars) {
      throw new FileReadError(
        'unreadable_file',
        `${describe(index + 1)} (from line ${linesBefore + 1}) is longer than ${maxRecordChars} characters; a quoted field is probably never closed.`,
      );
    }
  }
  if (pending !== '') yield* take(parser.parse(pending, 0, false) as PapaResult);
}

/** Line breaks inside a record's cells (only quoted cells have any): CRLF, LF or CR count once. */
function lineBreaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (!cell.includes('\n') && !cell.includes('\r')) continue;
    n += cell.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return n;
}
