// What JSON and NDJSON share: each record should be an object (it becomes the row's values
// as is, nested arrays/objects included), anything else becomes a row with a parse error, and
// the headers are the keys of the first object.

import { PARSE_ERROR_KEY, type OpenedRows, type SourceRow } from '../row-source.js';

export interface JsonRecord {
  row: number;
  /** Physical line of the record (NDJSON); JSON arrays leave it out (see SourceRow.line). */
  line?: number;
  /** The parsed value, when the record parsed. */
  value?: unknown;
  /** Why the record could not be parsed (NDJSON lines only; a bad JSON array fails the file). */
  problem?: string;
}

// Rows before the first object are buffered to find the headers; past this many, give up on
// headers rather than buffer without bound (a file of non-objects is all errors anyway).
const HEADER_LOOKAHEAD = 1000;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * @param label names a record in messages, e.g. `Element 5` or `Line 7`.
 */
export async function openJsonRecords(
  records: AsyncGenerator<JsonRecord & { label: string }>,
): Promise<OpenedRows> {
  const buffered: SourceRow[] = [];
  let headers: string[] = [];
  while (buffered.length < HEADER_LOOKAHEAD) {
    const next = await records.next();
    if (next.done) break;
    buffered.push(toRow(next.value));
    if (isPlainObject(next.value.value)) {
      headers = Object.keys(next.value.value);
      break;
    }
  }

  async function* rows(): AsyncGenerator<SourceRow> {
    try {
      yield* buffered.splice(0);
      for await (const record of records) yield toRow(record);
    } finally {
      await records.return(undefined);
    }
  }
  return { headers, rows: rows() };
}

function toRow(record: JsonRecord & { label: string }): SourceRow {
  const at = record.line === undefined ? { row: record.row } : { row: record.row, line: record.line };
  if (record.problem !== undefined) return { ...at, values: { [PARSE_ERROR_KEY]: record.problem } };
  if (isPlainObject(record.value)) return { ...at, values: record.value };
  const problem = `${record.label} is ${describeJsonType(record.value)}; expected an object`;
  return { ...at, values: { [PARSE_ERROR_KEY]: problem } };
}
