import type { Config } from '../config.js';
import { signUrl, type SigningKeys } from '../storage/signed-urls.js';
import type { Storage } from '../storage/storage.js';
import { contentTypeOf, downloadFilename, importFileKey, isDownloadAvailable, type DownloadFile } from '../downloads/import-files.js';
import type { ImportRecord } from '../domain/import.js';
import type { ImportUrls } from './import-view.js';

// The signed URLs of an import's view (SPEC §1). `_upload_url` is minted on every read while
// the import waits for its file, and expires with the upload window itself (so a URL read late
// never outlives it). Download URLs are minted only when asked for (`include_*`) and only for
// files that exist; S3 storage presigns them itself, local storage gets a URL of this API.

export interface UrlSigner {
  keys: SigningKeys;
  storage: Storage;
  config: Readonly<Config>;
}

export interface IncludeFlags {
  include_upload_csv?: boolean;
  include_upload_json?: boolean;
  include_errors_csv?: boolean;
  include_errors_json?: boolean;
  include_results_csv?: boolean;
  include_results_json?: boolean;
}

export const uploadPath = (importId: string) => `/v1/uploads/${importId}`;
export const downloadPath = (importId: string, file: DownloadFile) => `/v1/downloads/${importId}/${file}`;

const INCLUDES: [keyof IncludeFlags, keyof ImportUrls, DownloadFile][] = [
  ['include_upload_csv', '_upload_csv_url', 'upload.csv'],
  ['include_upload_json', '_upload_json_url', 'upload.json'],
  ['include_errors_csv', '_errors_csv_url', 'errors.csv'],
  ['include_errors_json', '_errors_json_url', 'errors.json'],
  ['include_results_csv', '_results_csv_url', 'results.csv'],
  ['include_results_json', '_results_json_url', 'results.json'],
];

/** `baseUrl`: PUBLIC_URL, else the origin the request came to. */
export function uploadUrlOf(signer: UrlSigner, baseUrl: string, imp: ImportRecord): string | null {
  // A review import that has its file waits for start, not for a file: no upload URL then.
  if (imp.status !== 'requested' || imp.upload_expires_at === null || imp.file_key !== null) return null;
  return signUrl(baseUrl, { method: 'PUT', path: uploadPath(imp.id), importId: imp.id, expiresAt: imp.upload_expires_at }, signer.keys);
}

export async function importUrls(signer: UrlSigner, baseUrl: string, imp: ImportRecord, include: IncludeFlags = {}): Promise<ImportUrls> {
  const urls: ImportUrls = { _upload_url: uploadUrlOf(signer, baseUrl, imp) };
  for (const [flag, field, file] of INCLUDES) {
    if (include[flag] && isDownloadAvailable(imp, file)) urls[field] = await downloadUrl(signer, baseUrl, imp, file);
  }
  return urls;
}

async function downloadUrl(signer: UrlSigner, baseUrl: string, imp: ImportRecord, file: DownloadFile): Promise<string> {
  const ttl = signer.config.ttl.downloadUrlSeconds;
  const presigned = await signer.storage.presignedGetUrl(importFileKey(imp, file), {
    filename: downloadFilename(imp, file),
    contentType: contentTypeOf(file),
    expiresInSeconds: ttl,
  });
  if (presigned) return presigned;
  const expiresAt = Math.floor(Date.now() / 1000) + ttl;
  return signUrl(baseUrl, { method: 'GET', path: downloadPath(imp.id, file), importId: imp.id, expiresAt }, signer.keys);
}
