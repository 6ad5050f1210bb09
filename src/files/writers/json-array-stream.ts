// Streams items as one JSON array — "[\n" + items joined by ",\n" + "\n]" — without holding
// them all: the JSON download of errors or original rows can be as large as the upload.

import { Readable } from 'node:stream';

const FLUSH_AT = 64 * 1024;

export function jsonArrayStream(items: AsyncIterable<unknown>): Readable {
  // Readable.from pulls from the generator only when the consumer wants more: backpressure.
  return Readable.from(chunks(items), { objectMode: false });
}

async function* chunks(items: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  let pending = '[\n';
  let first = true;
  for await (const item of items) {
    // undefined (and functions) have no JSON form; inside an array JSON.stringify uses null.
    pending += (first ? '' : ',\n') + (JSON.stringify(item) ?? 'null');
    first = false;
    if (pending.length >= FLUSH_AT) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  yield Buffer.from(`${pending}\n]`, 'utf8');
}
