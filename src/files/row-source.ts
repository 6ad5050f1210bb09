// The shape every reader produces, whatever the file format. Kept apart from open-rows.ts so
// the readers can share it without importing the dispatcher that imports them.

import type { CsvDelimiter } from './csv/csv-dialect.js';
import type { TextEncodingName } from './text-encoding.js';

export type FileFormat = 'csv' | 'xlsx' | 'json' | 'ndjson';

/**
 * One data row. `row` is 1-based with the header excluded, counted the way a person looking at
 * the file would count (CSV records, sheet rows, array elements, non-blank lines).
 * A row the reader could only partly make sense of carries `values.__parse_error` (a message
 * for a person); the caller turns that into a `parse_error` row error.
 */
export interface SourceRow {
  row: number;
  /**
   * Where a person finds the row (header = 1 when the header is the file's first line): CSV,
   * the physical line the record starts on, quoted line breaks counted; XLSX, the sheet's row
   * number; NDJSON, the physical line. Absent (JSON arrays, `data` arrays): row + 1.
   */
  line?: number;
  values: Record<string, unknown>;
}

export interface RowSource {
  format: FileFormat;
  /** CSV/XLSX: the header row (trimmed, unique); JSON/NDJSON: keys of the first object. */
  headers: string[];
  /** In file order; can be iterated once. May throw `FileReadError` mid-stream. */
  rows: AsyncIterable<SourceRow>;
}

/** What `openRows` returns: a RowSource that also owns resources (the input stream, temp files). */
export interface OpenedRowSource extends RowSource {
  /** The text encoding the file was read in (CSV, JSON, NDJSON); null for XLSX. */
  encoding: TextEncodingName | null;
  /** The CSV delimiter detected; null for the other formats. */
  delimiter: CsvDelimiter | null;
  /**
   * Releases the input and any temp file. Iterating `rows` to the end, or leaving the loop
   * early (break/throw), already does this; call it when `rows` may never be iterated at all.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** What each format's reader hands to openRows, which adds ownership and cleanup. */
export interface OpenedRows {
  headers: string[];
  rows: AsyncGenerator<SourceRow>;
  /** Releases what the reader holds besides the input (e.g. a temp file). */
  dispose?: () => Promise<void>;
  /** CSV: the delimiter the reader detected. */
  delimiter?: CsvDelimiter;
}

export interface ReadLimits {
  /** Total uncompressed size an XLSX may declare or actually inflate to. Default 1 GiB. */
  maxXlsxUncompressedBytes?: number;
  /** Entries an XLSX zip may contain. Default 10 000. */
  maxXlsxEntries?: number;
  /**
   * Longest single record in characters: a CSV record, an NDJSON line or a JSON array element.
   * Stops an unclosed quote or a runaway line from pulling the whole file into memory.
   * Default 16 Mi characters.
   */
  maxRecordChars?: number;
  /** Entries of an XLSX shared-strings table. Default 2 Mi. */
  maxXlsxSharedStrings?: number;
  /** UTF-8 bytes of text in an XLSX shared-strings table. Default 64 MiB. */
  maxXlsxSharedStringBytes?: number;
  /** Columns a file may have (header cells, or any cell of an XLSX sheet). Default 1 000. */
  maxColumns?: number;
  /** Characters in one cell: longer is a row error (XLSX: a longer XML run fails the file). Default 64 Ki. */
  maxCellChars?: number;
  /** Nesting of arrays/objects in a JSON or NDJSON value (a row is depth 1). Default 64. */
  maxJsonDepth?: number;
}

export const DEFAULT_LIMITS: Required<ReadLimits> = {
  maxXlsxUncompressedBytes: 1024 * 1024 * 1024,
  maxXlsxEntries: 10_000,
  maxRecordChars: 16 * 1024 * 1024,
  maxXlsxSharedStrings: 2 * 1024 * 1024,
  maxXlsxSharedStringBytes: 64 * 1024 * 1024,
  maxColumns: 1_000,
  maxCellChars: 64 * 1024,
  maxJsonDepth: 64,
};

/** Key under which a row's problem is reported in `values`. */
export const PARSE_ERROR_KEY = '__parse_error';
