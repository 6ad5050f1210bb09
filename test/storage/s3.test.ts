import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../src/storage/s3.js';
import { createStorage, type StorageConfig } from '../../src/storage/storage.js';
import { storageContract } from './contract.js';
import { body, expectedSha256, MiB, readAll, sha256Hex, streamOf } from './helpers.js';

// s3rver is CommonJS without type declarations.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

const BUCKET = 'test-bucket';
let server: S3rverInstance;
let serverDir: string;
let endpoint: string;
let n = 0;

function config(extra: Partial<Extract<StorageConfig, { kind: 's3' }>> = {}): Extract<StorageConfig, { kind: 's3' }> {
  return {
    kind: 's3',
    bucket: BUCKET,
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    ...extra,
  };
}

function rawClient(): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

beforeAll(async () => {
  serverDir = await mkdtemp(join(tmpdir(), 'storage-s3rver-'));
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: serverDir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const addr = await server.run();
  endpoint = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await server?.close();
  if (serverDir) await rm(serverDir, { recursive: true, force: true });
});

// Each test gets its own key prefix inside the bucket, so tests never see each other's objects.
// s3rver's filesystem store writes an object in place (fs.createWriteStream on its path), so
// racing PUTs of one key can interleave in the double itself: flaky, and not about the adapter.
storageContract('s3', async () => createStorage(config({ prefix: `contract-${++n}` })), { atomicOverwrite: false });

describe('s3 adapter specifics', () => {
  it('createStorage picks the S3 adapter, path-style with an endpoint', () => {
    const s = createStorage(config());
    expect(s.kind).toBe('s3');
    expect(s).toBeInstanceOf(S3Storage);
  });

  it('presigned GET fetches the object with the requested Content-Disposition and Content-Type', async () => {
    const s = createStorage(config({ prefix: 'presign' }));
    const size = 3 * MiB + 5;
    await s.put('imports/imp_9/errors.csv', body(size, 9), { maxBytes: 10 * MiB, contentType: 'application/octet-stream' });
    const url = await s.presignedGetUrl('imports/imp_9/errors.csv', {
      filename: 'errors.csv',
      contentType: 'text/csv; charset=utf-8',
      expiresInSeconds: 300,
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/test-bucket\/presign\/imports\/imp_9\/errors\.csv\?/);
    expect(url).toContain('X-Amz-Expires=300');
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="errors.csv"');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(size);
    expect(sha256Hex(got)).toBe(expectedSha256(size, 9));
  });

  it('presigned GET encodes non-ASCII and quote-bearing file names safely', async () => {
    const s = createStorage(config({ prefix: 'presign2' }));
    await s.put('f', streamOf('x'), { maxBytes: 10 });
    const url = await s.presignedGetUrl('f', { filename: 'Rapport "été".csv', contentType: 'text/csv', expiresInSeconds: 60 });
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Rapport __t__.csv"; filename*=UTF-8''Rapport%20%22%C3%A9t%C3%A9%22.csv`,
    );
    await res.arrayBuffer();
  });

  it('presignedGetUrl validates its options', async () => {
    const s = createStorage(config());
    const o = { filename: 'a', contentType: 'text/csv' };
    await expect(s.presignedGetUrl('a', { ...o, expiresInSeconds: 0 })).rejects.toThrow(/expiresInSeconds/);
    await expect(s.presignedGetUrl('a', { ...o, expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(/expiresInSeconds/);
    await expect(s.presignedGetUrl('a', { ...o, contentType: 'text/csv\r\nX-Evil: 1', expiresInSeconds: 60 })).rejects.toThrow(
      /contentType/,
    );
  });

  it('stores objects under the configured prefix with the given Content-Type', async () => {
    const s = createStorage(config({ prefix: '/tenant-a/files/' }));
    await s.put('one/two.json', streamOf('{"a":1}'), { maxBytes: 100, contentType: 'application/json' });
    const client = rawClient();
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tenant-a/files/one/two.json' }));
    expect(head.ContentType).toBe('application/json');
    expect(head.ContentLength).toBe(7);
    const raw = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'tenant-a/files/one/two.json' }));
    expect((await readAll(raw.Body as NodeJS.ReadableStream)).toString()).toBe('{"a":1}');
    // deletePrefix stays inside the configured prefix
    const other = createStorage(config({ prefix: 'tenant-b/files' }));
    await other.put('one/two.json', streamOf('b'), { maxBytes: 100 });
    await s.deletePrefix('one/');
    const left = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'tenant-' }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual(['tenant-b/files/one/two.json']);
    client.destroy();
  });

  it('deletePrefix pages through more than one listing page', async () => {
    const s = createStorage(config({ prefix: 'many' }));
    const keys = Array.from({ length: 1010 }, (_, i) => `batch/obj-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => s.put(k, streamOf(k), { maxBytes: 100 })));
    }
    expect(await s.exists('batch/obj-1009')).toBe(true);
    await s.deletePrefix('batch/');
    const client = rawClient();
    const left = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/' }));
    expect(left.KeyCount ?? 0).toBe(0);
    client.destroy();
  });

  it('an S3-side failure rejects put with the S3 error and leaves the caller’s stream alone', async () => {
    const s = createStorage(config({ bucket: 'no-such-bucket' }));
    const src = body(20 * MiB, 5);
    await expect(s.put('x', src, { maxBytes: 100 * MiB })).rejects.toMatchObject({ name: 'NoSuchBucket' });
    expect(src.destroyed).toBe(false);
    src.destroy();
  });

  it('rejects inconsistent configuration', () => {
    expect(() => createStorage(config({ secretAccessKey: undefined }))).toThrow(/both accessKeyId and secretAccessKey/);
    expect(() => createStorage(config({ bucket: '' }))).toThrow(/bucket/);
    expect(() => createStorage(config({ prefix: 'a/../b' }))).toThrow(/Invalid storage key/);
  });
});
