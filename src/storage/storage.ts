// File storage: one small interface, two adapters (local disk, S3-compatible) chosen by configuration.

import { LocalDiskStorage } from './local-disk.js';
import { S3Storage } from './s3.js';

export { attachmentDisposition } from './content-disposition.js';
export { safeKey, safePrefix } from './keys.js';
export { StorageNotFound } from './storage-not-found.js';

export interface PutResult {
  bytes: number;
  /** Lower-case hex SHA-256 of the bytes stored. */
  sha256: string;
}

export interface Storage {
  readonly kind: 'local' | 's3';
  /**
   * Streams body to `key`, hashing as it goes; never buffers the whole body.
   * Past maxBytes: aborts, leaves no partial object, throws AppError('file_too_large') naming the
   * limit. Writes are atomic: readers see the previous object (or none) until the write completes;
   * a failed write leaves the previous object untouched.
   * `body` stays the caller's: it is never destroyed; on failure it is unpiped and paused.
   */
  put(key: string, body: NodeJS.ReadableStream, opts: { maxBytes: number; contentType?: string }): Promise<PutResult>;
  /** The object's bytes. Missing → StorageNotFound. */
  get(key: string): Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every object whose key starts with `prefix` (plain string prefix, as in S3:
   * "a/b" matches "a/b", "a/bc" and "a/b/c"; use a trailing "/" for a "directory"). Idempotent.
   * The empty prefix is refused.
   */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * A direct download URL the adapter can mint itself (S3: presigned GET with
   * response-content-disposition/type); null when the API must serve the file itself (local).
   */
  presignedGetUrl(
    key: string,
    o: { filename: string; contentType: string; expiresInSeconds: number },
  ): Promise<string | null>;
}

export type StorageConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      endpoint?: string;
      region: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle?: boolean;
      prefix?: string;
    };

export function createStorage(c: StorageConfig): Storage {
  switch (c.kind) {
    case 'local':
      return new LocalDiskStorage(c.dir);
    case 's3':
      return new S3Storage(c);
    default:
      throw new Error(`Unknown storage kind: ${String((c as { kind?: unknown }).kind)}`);
  }
}
