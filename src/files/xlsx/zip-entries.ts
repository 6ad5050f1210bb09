// Access to one zip entry's data, and inflation under a byte budget. Every part that is read
// is first inflated here with the bytes counted, so a zip bomb whose central directory lies
// about sizes is stopped at the budget instead of filling memory or disk.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { FileReadError } from '../file-read-error.js';
import type { RandomAccess } from './random-access.js';
import { corrupted, tooBig, type ZipEntry } from './zip-directory.js';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** Counts inflated bytes across all parts read from one file. */
export class InflateBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}
  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.maxBytes) throw tooBig(this.maxBytes);
  }
}

/** Where the entry's (compressed) bytes are: after its local header, whose lengths may differ from the directory's. */
export async function entryDataRange(file: RandomAccess, entry: ZipEntry): Promise<{ start: number; length: number }> {
  if (entry.flags & 0x1) {
    throw new FileReadError('unreadable_file', 'The XLSX file is encrypted; save it without a password.');
  }
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw corrupted(`${entry.name} uses unsupported compression method ${entry.method}`);
  }
  const header = await file.read(entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw corrupted(`bad local header for ${entry.name}`);
  }
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > file.size) throw corrupted(`${entry.name} extends past the end of the file`);
  return { start, length: entry.compressedSize };
}

/**
 * Inflates an entry, charging every output byte to `budget`. Returns the content when `keepUpTo`
 * is given (for the small XML parts that are parsed here), failing if it is longer than that.
 */
export async function inflateEntry(
  file: RandomAccess,
  entry: ZipEntry,
  budget: InflateBudget,
  keepUpTo?: number,
): Promise<Buffer | undefined> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  await consumeEntry(file, entry, budget, async (inflated) => {
    for await (const chunk of inflated) {
      if (keepUpTo === undefined) continue;
      keptBytes += chunk.length;
      if (keptBytes > keepUpTo) throw corrupted(`${entry.name} is implausibly large`);
      kept.push(chunk);
    }
  });
  return keepUpTo === undefined ? undefined : Buffer.concat(kept);
}

/**
 * Streams an entry's inflated bytes (charged to `budget`) into `consume`. A FileReadError
 * thrown by `consume` is what this throws; a zlib error means a corrupted file.
 */
export async function consumeEntry<T>(
  file: RandomAccess,
  entry: ZipEntry,
  budget: InflateBudget,
  consume: (inflated: AsyncIterable<Buffer>) => Promise<T>,
): Promise<T> {
  const { start, length } = await entryDataRange(file, entry);
  // pipeline() reports a failure of this sink as an AbortError; keep the real one.
  let stop: FileReadError | undefined;
  let result: T | undefined;
  async function* counted(inflated: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of inflated) {
      budget.take(chunk.length);
      yield chunk as Buffer;
    }
  }
  const sink = async (inflated: AsyncIterable<Buffer>): Promise<void> => {
    try {
      result = await consume(counted(inflated));
    } catch (err) {
      if (err instanceof FileReadError) stop = err;
      throw err;
    }
  };
  const source = Readable.from(file.chunks(start, length));
  try {
    if (entry.method === DEFLATED) await pipeline(source, createInflateRaw(), sink);
    else await pipeline(source, sink);
  } catch (err) {
    if (stop) throw stop;
    if (err instanceof FileReadError) throw err;
    // zlib's errors carry a `code` such as Z_DATA_ERROR; file-system errors do not start with Z_.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw corrupted(`${entry.name}: ${(err as Error).message}`);
    throw err;
  }
  return result as T;
}
