import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import { AppError, ImportFailure } from '../errors.js';
import { FileReadError, parseDataUrl } from '../files/index.js';
import { newId } from '../ids.js';
import { batchRowsFor } from '../pipeline/chunked-phase.js';
import { completePrevalidation, createPrevalidator } from '../pipeline/prevalidation.js';
import { phaseRows } from '../pipeline/phase-list.js';
import { runPhaseWithin } from '../pipeline/run-import.js';
import { noValidRowsFailure } from '../pipeline/no-valid-rows.js';
import { getResource } from '../resources/index.js';
import type { Storage } from '../storage/storage.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { checkGivenMapping, ColumnMapper } from '../resources/column-mapping.js';
import type { CreateImportBody } from './create-import-body.js';
import { endImport } from '../lifecycle/end-import.js';
import { findImportById } from '../lifecycle/import-record.js';
import { insertImport, type NewImport } from '../lifecycle/transitions.js';
import type { Actor } from '../domain/actor.js';
import { EMPTY_STATS } from '../domain/import.js';
import { isZipFile, queueInlineFile } from './queue-inline-file.js';
import { checkSyncBytes, readSyncRows, sha256, type SyncRows } from './sync-rows.js';

// POST /v1/imports. Sync imports run prevalidation and preparsing here, inside one transaction
// with the import's creation, and are answered `queued` (or `failed` when the data is
// unusable); the worker takes the remaining phases. Async imports are created `requested`,
// waiting for their file on the signed _upload_url (receive-upload.ts).

export type { Actor } from '../domain/actor.js';

export interface CreateDeps {
  db: Db;
  config: Readonly<Config>;
  /** Where a failed sync import's errors file is written. */
  storage: Storage;
}

export interface Created {
  id: string;
  /** The import is queued: tell the in-process worker, once the response is built. */
  queued: boolean;
}

/**
 * `rawData`: the text of `data` as sent (its checksum is over those bytes), when known.
 * `importId`: the id to create the import with (an Idempotency-Key reserves it first); new by default.
 */
export async function createImport(deps: CreateDeps, actor: Actor, body: CreateImportBody, rawData?: string, importId?: string): Promise<Created> {
  const def = getResource(body.resource);
  if (body.column_mapping) checkGivenMapping(def, body.column_mapping);
  if (body.upload_mode === 'sync' && body.data === undefined) {
    throw new AppError('invalid_request', 'data is required when upload_mode is "sync": an array of row objects or a base64 data URL.', [
      { field: 'data', message: 'required for sync imports' },
    ]);
  }
  if (body.upload_mode === 'async' && body.data !== undefined) {
    throw new AppError('invalid_request', 'data must not be given when upload_mode is "async": PUT the file to the _upload_url of the created import.', [
      { field: 'data', message: 'not allowed for async imports' },
    ]);
  }
  if (body.review && body.upload_mode === 'sync') {
    throw new AppError(
      'invalid_request',
      'review is only for upload_mode "async": a sync import runs its first phases in the request. Create it with upload_mode "async" and review: true, PUT the file, then GET /v1/imports/{id}/preview and POST /v1/imports/{id}/start.',
      [{ field: 'review', message: 'only allowed with upload_mode "async"' }],
    );
  }
  if (body.location_id) await assertLocationExists(deps.db, actor.organizationId, body.location_id);

  const base: NewImport = {
    id: importId ?? newId('imp_'),
    organization_id: actor.organizationId,
    resource: def.name,
    upload_mode: body.upload_mode,
    action: body.action,
    status: 'queued',
    duplicate_handling: body.duplicate_handling,
    name: body.name ?? null,
    location_id: body.location_id ?? null,
    created_by: actor.apiKeyId,
    column_mapping: body.column_mapping ?? null,
    stats: EMPTY_STATS,
    checksum: null,
    expected_checksum: body.checksum ?? null,
    save_upload: body.save_upload,
    allow_mass_delete: body.allow_mass_delete,
    dry_run: body.dry_run,
    upload_expires_at: null,
    review: body.review,
  };
  if (body.upload_mode === 'async') {
    // Waits in `requested` for its file; the signed _upload_url expires with the upload window.
    base.status = 'requested';
    base.upload_expires_at = new Date(Date.now() + deps.config.ttl.uploadUrlSeconds * 1000);
    await deps.db.transaction((tx) => insertImport(tx, base, phaseRows('async')));
    return { id: base.id, queued: false };
  }

  let input: SyncRows;
  try {
    // An inline XLSX goes the async way: stored, and read by the worker (queue-inline-file.ts).
    if (typeof body.data === 'string') {
      const bytes = parseDataUrl(body.data);
      if (isZipFile(bytes)) {
        checkSyncBytes(bytes.length, deps.config.limits);
        base.checksum = sha256(bytes);
        if (base.expected_checksum && base.expected_checksum !== base.checksum) {
          return createFailed(deps, base, new ImportFailure('checksum_mismatch'));
        }
        await queueInlineFile(deps, base, bytes);
        return { id: base.id, queued: true };
      }
    }
    input = await readSyncRows(body.data!, deps.config.limits, deps.config.fileLimits, rawData);
  } catch (err) {
    if (err instanceof FileReadError) return createFailed(deps, base, new ImportFailure(err.code, err.message));
    throw err;
  }
  base.checksum = input.checksum;
  if (base.expected_checksum && base.expected_checksum !== input.checksum) {
    return createFailed(deps, base, new ImportFailure('checksum_mismatch'));
  }
  try {
    const queued = await deps.db.transaction((tx) => stageSync(tx, deps, def, base, input));
    return { id: base.id, queued };
  } catch (err) {
    if (err instanceof ImportFailure) return createFailed(deps, base, err);
    throw err;
  }
}

/** Creates the import and runs its two sync phases; returns whether it ended up queued. */
async function stageSync(tx: Queryable, deps: CreateDeps, def: ResourceDefinition, base: NewImport, input: SyncRows): Promise<boolean> {
  await insertImport(tx, base, phaseRows('sync'));
  const mapper = new ColumnMapper(def, base.column_mapping);
  mapper.checkHeaders(input.headers);
  const pre = createPrevalidator({ importId: base.id, def, mapper, locationId: base.location_id });
  let invalid = 0;
  const batchRows = batchRowsFor(deps.db, deps.config);
  for (let i = 0; i < input.rows.length; i += batchRows) {
    invalid += await pre.stageBatch(tx, input.rows.slice(i, i + batchRows));
  }
  const total = input.rows.length;
  await completePrevalidation(tx, base.id, { total, error: invalid, mapper, headers: input.headers, format: input.format });
  if (total - invalid === 0) {
    const failure = total === 0 ? new ImportFailure('no_valid_rows', 'the data has no rows') : await noValidRowsFailure(tx, base.id, `all ${total} rows are invalid`);
    await endImport(tx, base.id, { status: 'failed', failure }, { storage: deps.storage, rows: 'here' });
    return false;
  }
  // The other upload phase (preparsing) runs here too, as one range; the worker takes the rest.
  await runPhaseWithin(tx, deps.config, (await findImportById(tx, base.id))!, 1);
  return true;
}

async function createFailed(deps: CreateDeps, base: NewImport, failure: ImportFailure): Promise<Created> {
  await deps.db.transaction(async (tx) => {
    await insertImport(tx, { ...base, status: 'queued' }, phaseRows(base.upload_mode as 'sync' | 'async'));
    await endImport(tx, base.id, { status: 'failed', failure }, { storage: deps.storage, rows: 'here' });
  });
  return { id: base.id, queued: false };
}

async function assertLocationExists(db: Queryable, organizationId: string, locationId: string): Promise<void> {
  const res = await db.query('SELECT 1 FROM locations WHERE organization_id = $1 AND id = $2', [organizationId, locationId]);
  if (res.rowCount === 0) {
    throw new AppError('invalid_request', `location_id "${locationId}" does not name a location of this organization.`, [
      { field: 'location_id', message: 'no such location' },
    ]);
  }
}
