// The stream plumbing both adapters share: a pass-through that hashes and counts bytes and
// fails past a size limit, and a way to feed it from the caller's stream without taking
// ownership of that stream.

import { createHash, type Hash } from 'node:crypto';
import { finished, Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';
import type { PutResult } from './storage.js';

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

export function fileTooLarge(maxBytes: number): AppError {
  const human = formatBytes(maxBytes);
  const limit = maxBytes < 1024 ? human : `${maxBytes} bytes (${human})`;
  return new AppError('file_too_large', `The uploaded file exceeds the size limit of ${limit}.`, { max_bytes: maxBytes });
}

/** Counts and SHA-256-hashes what flows through; errors with AppError('file_too_large') past maxBytes. */
export class ByteMeter extends Transform {
  bytes = 0;
  /** The first failure seen (size limit, or an error of the source stream). */
  failure: Error | undefined;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;

  constructor(readonly maxBytes: number) {
    super();
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new Error(`maxBytes must be a non-negative integer, got ${String(maxBytes)}.`);
    }
    // Never let an error on this stream become an uncaught 'error' event: whoever awaits the
    // write sees it (through `failure` or the consumer's own error handling).
    this.on('error', (err) => {
      this.failure ??= err;
    });
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : typeof chunk === 'string'
        ? Buffer.from(chunk, encoding)
        : Buffer.from(chunk as Uint8Array);
    if (this.bytes + buf.length > this.maxBytes) {
      const err = fileTooLarge(this.maxBytes);
      this.failure ??= err;
      callback(err);
      return;
    }
    this.bytes += buf.length;
    this.hash.update(buf);
    callback(null, buf);
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.destroy(err);
  }

  /** Call once everything has flowed through. */
  result(): PutResult {
    this.digest ??= this.hash.digest('hex');
    return { bytes: this.bytes, sha256: this.digest };
  }
}

/**
 * Pipes `body` into `meter`. An error or premature close of `body` fails the meter.
 *
 * The caller keeps ownership of `body`: it is never destroyed here. The returned `detach` removes
 * our listeners and, when `abandon` is true (the write failed), unpipes and pauses `body` so it is
 * no longer read.
 */
export function feed(body: NodeJS.ReadableStream, meter: ByteMeter): (abandon: boolean) => void {
  if (body === null || typeof body !== 'object' || typeof body.pipe !== 'function') {
    throw new Error('put: body must be a Node.js readable stream.');
  }
  if ((body as { readableEnded?: boolean }).readableEnded === true) {
    throw new Error('put: body has already been read to its end.');
  }
  let detached = false;
  const stopWatching = finished(body, { writable: false }, (err) => {
    if (err && !detached) meter.fail(err);
  });
  body.pipe(meter);
  return (abandon) => {
    if (detached) return;
    detached = true;
    stopWatching();
    if (abandon) {
      body.unpipe(meter);
      body.pause();
      // The caller stops reading; an error the source raises later (a client hanging up) has
      // nobody left to tell, and must not crash the process as an unhandled 'error' event.
      body.on('error', () => {});
    }
  };
}
