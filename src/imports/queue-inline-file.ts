import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Storage } from '../storage/storage.js';
import { originalUploadKey } from '../downloads/import-files.js';
import { insertImport, type NewImport } from '../lifecycle/transitions.js';
import { phaseRows } from '../pipeline/phase-list.js';

// A sync import whose `data` is an XLSX file is not read inside the request: unzipping and
// parsing a workbook can take seconds and, for a hostile file, far more memory than a request
// should hold (issue 18 item 1). Its bytes (already within SYNC_MAX_BYTES) are stored the way an
// async upload's are and the import is created `queued`: the worker reads the file in
// prevalidation, under the readers' limits, exactly as for an uploaded file. The answer is the
// same 201 `queued` a sync import gets; only prevalidation and preparsing happen after it.

export interface InlineFileDeps {
  db: Db;
  config: Readonly<Config>;
  storage: Storage;
}

/** Stores `bytes` as the import's uploaded file and creates the import `queued` with it. */
export async function queueInlineFile(deps: InlineFileDeps, base: NewImport, bytes: Buffer): Promise<void> {
  const key = originalUploadKey(base, randomBytes(8).toString('hex'));
  await deps.storage.put(key, Readable.from([bytes]), { maxBytes: deps.config.limits.syncMaxBytes });
  try {
    await deps.db.transaction((tx) => insertImport(tx, { ...base, status: 'queued', file_key: key }, phaseRows('sync')));
  } catch (err) {
    await deps.storage.delete(key).catch(() => undefined);
    throw err;
  }
}

/** An XLSX (a zip) by its first bytes, as the readers sniff it. */
export function isZipFile(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
}
