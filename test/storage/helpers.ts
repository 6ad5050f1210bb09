// Test helpers: deterministic streamed bodies (never one giant string/buffer) and stream hashing.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes in odd-sized chunks, so part boundaries never line up. */
export function* chunks(totalBytes: number, seed = 1, chunkSize = 65_537): Generator<Buffer> {
  let state = (seed * 2654435761) >>> 0 || 1;
  let left = totalBytes;
  while (left > 0) {
    const n = Math.min(chunkSize, left);
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      // xorshift32
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      buf[i] = state & 0xff;
    }
    left -= n;
    yield buf;
  }
}

export function body(totalBytes: number, seed = 1): Readable {
  return Readable.from(chunks(totalBytes, seed), { objectMode: false });
}

export function expectedSha256(totalBytes: number, seed = 1): string {
  const h = createHash('sha256');
  for (const c of chunks(totalBytes, seed)) h.update(c);
  return h.digest('hex');
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(parts);
}

export async function sha256Of(stream: NodeJS.ReadableStream): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of stream as AsyncIterable<Buffer | string>) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    bytes += b.length;
    h.update(b);
  }
  return { bytes, sha256: h.digest('hex') };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function streamOf(data: Buffer | string): Readable {
  return Readable.from([Buffer.from(data)], { objectMode: false });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
