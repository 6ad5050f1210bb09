// Entry point for reading an uploaded file: sniff the format from the content, hand the bytes
// to that format's reader, and wrap what it returns so that resources (the input stream, an
// XLSX temp file) are released however the caller stops.
//
// Errors: problems with the file surface as FileReadError — from openRows itself (format,
// encoding, header, zip limits) or, for problems found later in the file (malformed JSON,
// a corrupt sheet, a runaway record), thrown by the rows iterator after the rows before it.
// Problems confined to one row never throw: the row carries `values.__parse_error`.

import { isBookkeepingHeader } from '../domain/errors-file.js';
import { ByteSource } from './byte-source.js';
import { openCsv } from './csv/csv-reader.js';
import { openJsonArray } from './json/json-array-reader.js';
import { openNdjson } from './json/ndjson-reader.js';
import {
  DEFAULT_LIMITS,
  type FileFormat,
  type OpenedRowSource,
  type OpenedRows,
  type ReadLimits,
  type SourceRow,
} from './row-source.js';
import { SNIFF_BYTES, sniffFormat } from './sniff-format.js';
import type { TextEncodingName } from './text-encoding.js';

export type { FileFormat, OpenedRowSource, ReadLimits, RowSource, SourceRow } from './row-source.js';

export async function openRows(input: NodeJS.ReadableStream | Buffer, limits: ReadLimits = {}): Promise<OpenedRowSource> {
  const effective: Required<ReadLimits> = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
  const source = ByteSource.from(input);
  try {
    const sniffed = sniffFormat(await source.peek(SNIFF_BYTES), source.ended);
    let opened: OpenedRows;
    switch (sniffed.format) {
      case 'xlsx':
        // exceljs is loaded for the first XLSX file only (~20 MB a process need not carry).
        opened = await (await import('./xlsx/xlsx-reader.js')).openXlsx(source, effective);
        break;
      case 'json':
        opened = await openJsonArray(source, sniffed.encoding, effective.maxRecordChars, effective.maxJsonDepth);
        break;
      case 'ndjson':
        opened = await openNdjson(source, sniffed.encoding, effective.maxRecordChars, effective.maxJsonDepth);
        break;
      case 'csv':
        opened = await openCsv(source, sniffed.encoding, sniffed.prefixText, effective.maxRecordChars, effective);
        break;
    }
    const encoding = sniffed.format === 'xlsx' ? null : sniffed.encoding;
    return owningRowSource(sniffed.format, encoding, withoutBookkeeping(opened), source);
  } catch (err) {
    await source.close();
    throw err;
  }
}

/**
 * The errors file's bookkeeping columns (`_import_row`, `_import_code`, …; domain/errors-file.ts)
 * are dropped as the file is read: an errors.csv with its cells fixed uploads as the rows it
 * holds, and what is kept as the original rows is the person's columns only.
 */
function withoutBookkeeping(opened: OpenedRows): OpenedRows {
  const dropped = opened.headers.filter(isBookkeepingHeader);
  if (dropped.length === 0) return opened;
  const inner = opened.rows;
  async function* rows(): AsyncGenerator<SourceRow> {
    try {
      for await (const r of inner) {
        for (const h of dropped) delete r.values[h];
        yield r;
      }
    } finally {
      await inner.return(undefined);
    }
  }
  return { ...opened, headers: opened.headers.filter((h) => !isBookkeepingHeader(h)), rows: rows() };
}

function owningRowSource(format: FileFormat, encoding: TextEncodingName | null, opened: OpenedRows, source: ByteSource): OpenedRowSource {
  let closing: Promise<void> | undefined;
  // The input goes first: stopping it also unblocks a read in flight, so the rows generator
  // can then finish (return() would otherwise wait behind that read).
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await source.close();
        await opened.rows.return(undefined);
      } finally {
        await opened.dispose?.();
      }
    })());

  async function* iterate(): AsyncGenerator<SourceRow> {
    try {
      yield* opened.rows;
    } finally {
      await close();
    }
  }

  let taken = false;
  return {
    format,
    encoding,
    delimiter: opened.delimiter ?? null,
    headers: opened.headers,
    rows: {
      [Symbol.asyncIterator]() {
        if (taken) throw new Error('RowSource.rows can only be iterated once.');
        taken = true;
        return iterate();
      },
    },
    close,
  };
}

// `{ maxXlsxEntries: undefined }` must not override the default.
function definedOnly(limits: ReadLimits): ReadLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as ReadLimits;
}
