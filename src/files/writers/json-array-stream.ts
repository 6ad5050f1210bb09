// Streams items as one JSON array — "[\n" + items joined by ",\n" + "\n]" — without holding
// them all: the JSON download of errors or original rows can be as large as the upload.

import { Readable } from 'node:stream';

const FLUSH_AT = 64 * 1024;

/** `pages`: the items, a page (an array of items) at a time; a page is formatted without awaiting. */
export function jsonArrayStream(pages: AsyncIterable<readonly unknown[]>): Readable {
  // Readable.from pulls from the generator only when the consumer wants more: backpressure.
  return Readable.from(chunks(pages), { objectMode: false });
}

async function* chunks(pages: AsyncIterable<readonly unknown[]>): AsyncGenerator<Buffer> {
  let pending = '[\n';
  let first = true;
  for await (const page of pages) {
    for (const item of page) {
      // undefined (and functions) have no JSON form; inside an array JSON.stringify uses null.
      pending += (first ? '' : ',\n') + (JSON.stringify(item) ?? 'null');
      first = false;
    }
    if (pending.length >= FLUSH_AT) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  yield Buffer.from(`${pending}\n]`, 'utf8');
}
