// S3-compatible object storage (AWS S3, MinIO, R2, ...).
//
// Uploads stream through a hashing/counting meter into a multipart `Upload` (8 MiB parts,
// 2 in flight: ~24 MiB of buffers per upload at most, whatever the file size). S3 only makes an
// object visible once PutObject / CompleteMultipartUpload succeeds, so writes are atomic; a
// failed upload is aborted (its parts discarded) and any previous object at the key stays.

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { attachmentDisposition } from './content-disposition.js';
import { safeKey, safePrefix } from './keys.js';
import { ByteMeter, feed } from './meter.js';
import { StorageNotFound } from './storage-not-found.js';
import type { PutResult, Storage, StorageConfig } from './storage.js';

export type S3StorageConfig = Extract<StorageConfig, { kind: 's3' }>;

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 2;
/** SigV4 presigned URLs cannot live longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;
const DELETE_CONCURRENCY = 8;

function isNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  /** '' or a safe key followed by '/'. */
  readonly prefix: string;

  constructor(c: S3StorageConfig) {
    if (!c.bucket) throw new Error('S3 storage needs a bucket.');
    if (!c.region) throw new Error('S3 storage needs a region (any value, e.g. "us-east-1", for most S3-compatible servers).');
    if (Boolean(c.accessKeyId) !== Boolean(c.secretAccessKey)) {
      throw new Error('S3 storage: set both accessKeyId and secretAccessKey, or neither (to use the default AWS credential chain).');
    }
    const trimmed = (c.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed === '' ? '' : `${safeKey(trimmed)}/`;
    this.bucket = c.bucket;
    const config: S3ClientConfig = {
      region: c.region,
      forcePathStyle: c.forcePathStyle ?? Boolean(c.endpoint),
      // Default (WHEN_SUPPORTED) adds streaming CRC32 trailers that several S3-compatible servers
      // mishandle, corrupting streamed uploads; only checksum where the API requires it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (c.endpoint) config.endpoint = c.endpoint;
    if (c.accessKeyId && c.secretAccessKey) {
      config.credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  private objectKey(key: string): string {
    return this.prefix + safeKey(key);
  }

  async put(key: string, body: NodeJS.ReadableStream, opts: { maxBytes: number; contentType?: string }): Promise<PutResult> {
    const Key = this.objectKey(key);
    const meter = new ByteMeter(opts.maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: meter, ...(opts.contentType ? { ContentType: opts.contentType } : {}) },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false, // abort the multipart upload on any error
    });
    const detach = feed(body, meter);
    try {
      // An error in the meter (size limit, source error) surfaces here through the Upload's
      // read of the stream; the Upload then aborts the multipart upload before rejecting.
      await upload.done();
      detach(false);
      return meter.result();
    } catch (err) {
      detach(true);
      meter.destroy();
      await upload.abort().catch(() => undefined);
      throw meter.failure ?? err;
    }
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!out.Body) throw new StorageNotFound(key);
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new StorageNotFound(key);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Lists the prefix page by page and deletes each object with its own DeleteObject (a few in
   * parallel). DeleteObjects (batch) would need a Content-MD5/CRC checksum that not every
   * S3-compatible server accepts; the number of objects per import is small.
   * Paging uses ListObjects (v1) with Marker = last key seen: supported by every S3-compatible
   * server, and unlike v2 continuation tokens it works on s3rver under Node >= 17 (its tokens
   * use a cipher OpenSSL 3 dropped).
   */
  async deletePrefix(prefix: string): Promise<void> {
    const Prefix = this.prefix + safePrefix(prefix);
    let Marker: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix, ...(Marker ? { Marker } : {}) }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => typeof k === 'string');
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        await Promise.all(
          keys.slice(i, i + DELETE_CONCURRENCY).map(async (Key) => {
            try {
              await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
            } catch (err) {
              if (!isNotFound(err)) throw err;
            }
          }),
        );
      }
      const next = page.NextMarker ?? keys[keys.length - 1];
      if (!page.IsTruncated || next === undefined || next === Marker) return;
      Marker = next;
    }
  }

  async presignedGetUrl(
    key: string,
    o: { filename: string; contentType: string; expiresInSeconds: number },
  ): Promise<string> {
    const Key = this.objectKey(key);
    if (!Number.isInteger(o.expiresInSeconds) || o.expiresInSeconds < 1 || o.expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new Error(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}, got ${String(o.expiresInSeconds)}.`);
    }
    if (typeof o.contentType !== 'string' || !/^[\u0020-\u007e]+$/.test(o.contentType)) {
      throw new Error('contentType must be a non-empty printable ASCII string.');
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key,
      ResponseContentDisposition: attachmentDisposition(o.filename),
      ResponseContentType: o.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: o.expiresInSeconds });
  }
}
