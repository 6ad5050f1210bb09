// A JSON array of objects, streamed element by element with stream-json, so a file of any
// size is never held in memory. Unlike NDJSON, a syntax error cannot be confined to one row
// (where would the next element start?), so it fails the file — possibly mid-stream, thrown
// from the rows iterator after the rows before it were yielded.

import { Readable } from 'node:stream';
import streamJson from 'stream-json';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import type { ByteSource } from '../byte-source.js';
import { FileReadError } from '../file-read-error.js';
import type { OpenedRows } from '../row-source.js';
import { decodeText, REPLACED_BYTES_MESSAGE, type DecodeReport, type TextEncodingName } from '../text-encoding.js';
import { JsonDepthScanner } from './json-depth.js';
import { openJsonRecords, type JsonRecord } from './json-rows.js';

// Text goes to the parser in small slices through minimal buffers, so that when the parser
// fails, the byte count fed so far locates the error to within a few KiB (stream-json does
// not report positions itself).
const SLICE_CHARS = 1024;

export function openJsonArray(source: ByteSource, encoding: TextEncodingName, maxRecordChars: number, maxDepth: number): Promise<OpenedRows> {
  const decoded: DecodeReport = { replaced: false };
  return openJsonRecords(elements(decodeText(source.chunks(), encoding, decoded), maxRecordChars, maxDepth, decoded));
}

async function* elements(
  text: AsyncIterable<string>,
  maxRecordChars: number,
  maxDepth: number,
  decoded: DecodeReport,
): AsyncGenerator<JsonRecord & { label: string }> {
  const fed = { bytes: 0, charsSinceElement: 0 };
  // The array itself is level 1, so an element may reach maxDepth + 1. Deeper fails the file:
  // stream-json would assemble the element whatever its depth, and where the element ends
  // cannot be known without reading it all.
  const depth = new JsonDepthScanner();
  let sourceError: unknown;

  async function* slices(): AsyncGenerator<string> {
    try {
      for await (const chunk of text) {
        for (let i = 0; i < chunk.length; i += SLICE_CHARS) {
          const slice = chunk.slice(i, i + SLICE_CHARS);
          fed.charsSinceElement += slice.length;
          // One element (or the gap before the next) this long would all be held in memory.
          if (fed.charsSinceElement > maxRecordChars) {
            const message = `An element of the JSON array is longer than ${maxRecordChars} characters.`;
            throw new FileReadError('unreadable_file', message);
          }
          if (depth.feed(slice) > maxDepth + 1) {
            const message = `An element of the JSON array near byte ${fed.bytes} nests arrays/objects deeper than ${maxDepth} levels (the limit MAX_JSON_DEPTH).`;
            throw new FileReadError('unreadable_file', message);
          }
          fed.bytes += Buffer.byteLength(slice);
          yield slice;
        }
      }
    } catch (err) {
      sourceError = err; // an I/O error of the input, or the length limit: report it as is
      throw err;
    }
  }

  const input = Readable.from(slices(), { highWaterMark: 1 });
  // autoDestroy off: a parse error must not discard the tokens the parser already produced.
  const parser = streamJson.parser({ streamValues: false, writableHighWaterMark: SLICE_CHARS, autoDestroy: false });
  const array = StreamArray.streamArray();
  keepProtoKeys(array);
  // Plain pipes, not pipeline(): on an error the elements parsed before it should still come
  // out, in order, before the error is thrown. A failure stops the input, moves the parser's
  // remaining tokens into the array stream and ends it; the error is rethrown after.
  let failure: { error: unknown; atByte: number } | undefined;
  const fail = (error: unknown): void => {
    if (failure) return;
    failure = { error, atByte: fed.bytes };
    input.unpipe(parser);
    input.destroy();
    parser.unpipe(array);
    if (array.destroyed || array.writableEnded) return;
    // Tokens parsed before the error are still buffered in the parser: hand them over.
    for (let token: unknown = parser.read(); token !== null; token = parser.read()) array.write(token);
    array.end();
  };
  input.on('error', fail);
  parser.on('error', fail);
  input.pipe(parser).pipe(array);

  try {
    for await (const item of array as AsyncIterable<{ key: number; value: unknown }>) {
      fed.charsSinceElement = 0;
      const row = item.key + 1;
      const label = `Element ${row}`;
      if (decoded.replaced && holdsReplacement(item.value)) yield { row, label, problem: `${label}: ${REPLACED_BYTES_MESSAGE}` };
      else yield { row, label, value: item.value };
    }
  } catch (err) {
    fail(err); // the array stream itself failed (e.g. the top level is not an array)
  } finally {
    input.destroy();
    parser.destroy();
    array.destroy();
  }
  if (failure?.error === undefined) return;
  const { error, atByte } = failure;
  if (sourceError !== undefined) throw sourceError;
  throw new FileReadError('unreadable_file', `Invalid JSON near byte ${atByte}: ${explain(error)}`, { cause: error });
}

/** Whether any string (or key) in `value` holds U+FFFD; iterative (the depth is already bounded). */
function holdsReplacement(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\uFFFD')) return true;
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\uFFFD')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/**
 * stream-json's Assembler stores a key with `object[key] = value`, so a "__proto__" key sets
 * the prototype instead (or vanishes) and the row would not be the row as uploaded. Its value
 * saver (also used directly for strings) is replaced, on this one stream, by one that defines
 * that key as an own property, as JSON.parse does.
 */
function keepProtoKeys(stream: unknown): void {
  type Assembler = { done: boolean; current: unknown; key: string | null; _saveValue(v: unknown): void; stringValue(v: unknown): void };
  const assembler = (stream as { _assembler?: Assembler })._assembler;
  if (!assembler) return;
  const save = assembler._saveValue;
  const saveOwn = function (this: Assembler, value: unknown): void {
    if (!this.done && this.key === '__proto__' && !Array.isArray(this.current)) {
      Object.defineProperty(this.current, '__proto__', { value, enumerable: true, writable: true, configurable: true });
      this.key = null;
    } else save.call(this, value);
  };
  assembler._saveValue = saveOwn;
  assembler.stringValue = saveOwn;
}

// stream-json says "Parser cannot parse input: expected ','" mid-file and "Parser has
// expected a value" when the input ends early.
function explain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith('Parser has expected')) return `the file ends before the JSON is complete (${message.slice(11)})`;
  return message.replace(/^Parser cannot parse input: /, '');
}
