import { AppError } from '../errors.js';
import type { SigningKeys } from '../storage/signed-urls.js';
import { StorageNotFound, type Storage } from '../storage/storage.js';
import type { Db } from '../db/db.js';
import { contentTypeOf, downloadFilename, DOWNLOAD_FILES, importFileKey, isDownloadAvailable } from '../downloads/import-files.js';
import { findImportById } from '../lifecycle/import-record.js';
import { verifySigned, type SignedRequest } from './receive-upload.js';

// GET on a signed download URL minted by this API (local storage; S3 presigns its own). The
// signature is checked first (403); then the file must still exist — retention may have
// deleted it since the URL was minted (404).

export interface Download {
  stream: NodeJS.ReadableStream;
  filename: string;
  contentType: string;
}

export async function openDownload(
  deps: { db: Db; storage: Storage; keys: SigningKeys },
  req: Omit<SignedRequest, 'contentLength'>,
  fileName: string,
): Promise<Download> {
  const importId = verifySigned(deps.keys, 'GET', req);
  const file = DOWNLOAD_FILES.find((f) => f === fileName);
  if (!file) throw new AppError('not_found', `No file "${fileName}"; downloads are ${DOWNLOAD_FILES.join(', ')}.`);
  const imp = await findImportById(deps.db, importId);
  if (!imp || !isDownloadAvailable(imp, file)) {
    throw new AppError('not_found', `The ${file} file of import "${importId}" does not exist (never written, or deleted after the retention period).`);
  }
  const stream = await deps.storage.get(importFileKey(imp, file)).catch((err: unknown) => {
    // Listed as available, but retention removed it a moment ago.
    if (err instanceof StorageNotFound) throw new AppError('not_found', `The ${file} file of import "${importId}" was deleted after the retention period.`);
    throw err;
  });
  return { stream, filename: downloadFilename(imp, file), contentType: contentTypeOf(file) };
}
