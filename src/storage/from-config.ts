import path from 'node:path';
import type { Config } from '../config.js';
import { createStorage, type Storage } from './storage.js';

/** STORAGE=local (default): files under DATA_DIR/files. STORAGE=s3: the S3_* settings. */
export function storageFromConfig(config: Pick<Config, 'storage' | 'dataDir' | 's3'>): Storage {
  if (config.storage === 's3') {
    const { bucket, endpoint, region, accessKeyId, secretAccessKey, prefix } = config.s3;
    if (!bucket) throw new Error('S3_BUCKET is required when STORAGE=s3');
    return createStorage({ kind: 's3', bucket, region, endpoint, accessKeyId, secretAccessKey, prefix });
  }
  return createStorage({ kind: 'local', dir: path.join(config.dataDir, 'files') });
}
