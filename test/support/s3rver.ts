import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A local S3-compatible server (s3rver, dev only) on 127.0.0.1 for end-to-end tests of the S3
// adapter. It does not check signatures, so signature tests belong to our own signer.

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor; // CommonJS, no types

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** Environment for startService: STORAGE=s3 against this server. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'imports-e2e'): Promise<LocalS3> {
  const dir = await mkdtemp(join(tmpdir(), 'imports-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const endpoint = `http://127.0.0.1:${(await server.run()).port}`;
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_PREFIX: prefix,
    }),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
