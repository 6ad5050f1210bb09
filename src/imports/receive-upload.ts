import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { AppError, ImportFailure } from '../errors.js';
import { endImport } from '../lifecycle/end-import.js';
import { holdUploadForReview, queueUpload } from '../lifecycle/transitions.js';
import { fileTooLarge } from '../storage/meter.js';
import { verifySignedRequest, type SigningKeys } from '../storage/signed-urls.js';
import type { Storage } from '../storage/storage.js';
import { originalUploadKey } from '../downloads/import-files.js';
import { findImportById } from '../lifecycle/import-record.js';
import type { ImportStatus } from '../domain/import.js';

// PUT on an import's signed _upload_url (SPEC §1, §5; ARCHITECTURE step 3). In this order:
//  1. the signature, the URL's expiry and the import's upload window are checked before
//     anything else is read or written (403);
//  2. an import that already has its file → 409; a declared Content-Length past the limit → 413;
//  3. the bytes stream to storage, hashed and counted as they go (never held in memory), and
//     the limit is enforced while streaming (413, nothing kept);
//  4. one conditional UPDATE moves the import `requested → queued` with its checksum — or, for
//     a review import, records the file and leaves it `requested` until POST …/start.
// Every PUT writes to a key of its own, so two racing uploads never mix their bytes: exactly
// one wins step 4 and records its key; the other gets 409 and its object is deleted.

export interface UploadDeps {
  db: Db;
  config: Readonly<Config>;
  storage: Storage;
  keys: SigningKeys;
}

export interface SignedRequest {
  /** The import id in the URL path. */
  importId: string;
  /** The request path exactly as it arrived (before "?"). */
  path: string;
  query: Record<string, unknown>;
  contentLength: number | undefined;
}

export interface UploadReceipt {
  object: 'upload';
  import_id: string;
  status: ImportStatus;
  reason: string | null;
  bytes: number;
  checksum: string;
}

/** Checks a signed request (403 if tampered or expired); returns the import id it names. */
export function verifySigned(keys: SigningKeys, method: 'GET' | 'PUT', req: Pick<SignedRequest, 'importId' | 'path' | 'query'>): string {
  const { importId } = verifySignedRequest({ method, path: req.path, query: req.query }, keys);
  // The path is signed and so is the import parameter; both must name the same import.
  if (importId !== req.importId) throw new AppError('signature_invalid');
  return importId;
}

export async function receiveUpload(deps: UploadDeps, req: SignedRequest, body: NodeJS.ReadableStream): Promise<UploadReceipt> {
  const importId = verifySigned(deps.keys, 'PUT', req);
  const imp = await findImportById(deps.db, importId);
  if (!imp) throw new AppError('not_found', `No import "${importId}".`);
  // The URL's own expiry is the window's when minted; this also holds if the window was shortened.
  if (imp.upload_expires_at !== null && imp.upload_expires_at <= Math.floor(Date.now() / 1000)) throw new AppError('url_expired');
  if (imp.status !== 'requested' || imp.file_key !== null) throw alreadyReceived(imp.status);
  const maxBytes = deps.config.limits.uploadMaxBytes;
  if (req.contentLength !== undefined && req.contentLength > maxBytes) throw fileTooLarge(maxBytes);

  const key = originalUploadKey(imp, randomBytes(8).toString('hex'));
  const put = await deps.storage.put(key, body, { maxBytes });
  const checksum = `sha256:${put.sha256}`;

  const outcome = await deps.db.transaction(async (tx) => {
    const row = imp.review
      ? await holdUploadForReview(tx, importId, checksum, key, deps.config.ttl.uploadUrlSeconds)
      : await queueUpload(tx, importId, checksum, key);
    if (!row) return 'lost' as const;
    if (row.expected_checksum && row.expected_checksum !== checksum) {
      const failure = new ImportFailure('checksum_mismatch', `received ${checksum}, expected ${row.expected_checksum}`);
      await endImport(tx, importId, { status: 'failed', failure }, { storage: deps.storage, rows: 'here' });
      return 'mismatch' as const;
    }
    return 'stored' as const;
  });
  if (outcome !== 'stored') await deps.storage.delete(key);
  if (outcome === 'lost') {
    const now = await findImportById(deps.db, importId);
    throw alreadyReceived(now?.status ?? 'queued');
  }
  // A review import answers `requested` here: it waits for POST /v1/imports/{id}/start.
  const after = (await findImportById(deps.db, importId))!;
  return { object: 'upload', import_id: importId, status: after.status, reason: after.reason, bytes: put.bytes, checksum };
}

function alreadyReceived(status: ImportStatus): AppError {
  return new AppError(
    'upload_already_received',
    `This import already has its file (status "${status}"). Create a new import to upload another file.`,
  );
}
