// NDJSON: one JSON object per line. Lines are independent, so a bad line only spoils its own
// row. Blank lines are allowed and not counted: row N is the N-th non-blank line. Messages
// name the physical line, which is what an editor shows.

import type { ByteSource } from '../byte-source.js';
import { FileReadError } from '../file-read-error.js';
import type { OpenedRows } from '../row-source.js';
import { decodeText, hasReplacement, REPLACED_BYTES_MESSAGE, type DecodeReport, type TextEncodingName } from '../text-encoding.js';
import { jsonDepth } from './json-depth.js';
import { openJsonRecords, type JsonRecord } from './json-rows.js';

export function openNdjson(source: ByteSource, encoding: TextEncodingName, maxRecordChars: number, maxDepth: number): Promise<OpenedRows> {
  const decoded: DecodeReport = { replaced: false };
  return openJsonRecords(ndjsonRecords(lines(decodeText(source.chunks(), encoding, decoded), maxRecordChars), maxDepth, decoded));
}

async function* ndjsonRecords(input: AsyncIterable<string>, maxDepth: number, decoded: DecodeReport): AsyncGenerator<JsonRecord & { label: string }> {
  let lineNumber = 0;
  let row = 0;
  for await (const line of input) {
    lineNumber++;
    if (line.trim() === '') continue;
    row++;
    const label = `Line ${lineNumber}`;
    let record: JsonRecord & { label: string };
    if (hasReplacement(decoded, line)) {
      yield { row, label, problem: `${label}: ${REPLACED_BYTES_MESSAGE}` };
      continue;
    }
    // Measured before parsing: a line nested thousands deep only spoils its own row.
    if (jsonDepth(line) > maxDepth) {
      yield { row, label, problem: `${label} nests arrays/objects deeper than ${maxDepth} levels (the limit MAX_JSON_DEPTH)` };
      continue;
    }
    try {
      record = { row, line: lineNumber, label, value: JSON.parse(line) as unknown };
    } catch (err) {
      record = { row, line: lineNumber, label, problem: `${label} is not valid JSON: ${(err as Error).message}` };
    }
    yield record;
  }
}

/** Splits text into lines (LF or CRLF), holding at most one line in memory. */
async function* lines(text: AsyncIterable<string>, maxChars: number): AsyncGenerator<string> {
  let partial = '';
  let lineNumber = 0;
  for await (const chunk of text) {
    // Only the new chunk is searched, so a long line costs linear time however it is chunked.
    const parts = chunk.split('\n');
    if (parts.length === 1) partial += chunk;
    else {
      parts[0] = partial + (parts[0] ?? '');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        lineNumber++;
        yield part.endsWith('\r') ? part.slice(0, -1) : part;
      }
    }
    if (partial.length > maxChars) {
      throw new FileReadError('unreadable_file', `Line ${lineNumber + 1} is longer than ${maxChars} characters.`);
    }
  }
  if (partial !== '') yield partial.endsWith('\r') ? partial.slice(0, -1) : partial;
}
