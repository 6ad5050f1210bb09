// A zip is read from its end (the central directory), so XLSX needs random access. A Buffer
// input already has it; a stream is spooled to a temp file first, which also means a zip bomb
// costs at most its compressed size on disk before the limits are checked.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface RandomAccess {
  readonly size: number;
  /** Exactly `length` bytes at `position` (fewer only at the end of the file). */
  read(position: number, length: number): Promise<Buffer>;
  /** `length` bytes from `position`, as a stream of chunks. */
  chunks(position: number, length: number): AsyncIterable<Buffer>;
  /** Deletes the temp file, if any. Idempotent. */
  close(): Promise<void>;
}

const SLICE = 64 * 1024;

export function bufferAccess(buf: Buffer): RandomAccess {
  return {
    size: buf.length,
    read: (position, length) => Promise.resolve(buf.subarray(position, position + length)),
    async *chunks(position, length) {
      const end = Math.min(buf.length, position + length);
      for (let i = position; i < end; i += SLICE) yield buf.subarray(i, Math.min(end, i + SLICE));
    },
    close: () => Promise.resolve(),
  };
}

export async function spoolToTempFile(chunks: AsyncIterable<Buffer>): Promise<RandomAccess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'imports-xlsx-'));
  const file = path.join(dir, 'upload.xlsx');
  let handle: FileHandle | undefined;
  try {
    await pipeline(Readable.from(chunks), createWriteStream(file));
    handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    const fh = handle;
    let closed = false;
    return {
      size,
      async read(position, length) {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
        let done = 0;
        while (done < buf.length) {
          const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buf.subarray(0, done);
      },
      chunks(position, length) {
        if (length <= 0) return Readable.from([]);
        return createReadStream(file, { start: position, end: position + length - 1, highWaterMark: SLICE });
      },
      async close() {
        if (closed) return;
        closed = true;
        await fh.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await handle?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
