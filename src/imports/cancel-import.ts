import type { Db } from '../db/db.js';
import type { Storage } from '../storage/storage.js';
import { writeImportFiles } from './import-files.js';
import { AppError } from '../errors.js';
import { dropWorkingRows } from '../pipeline/working-rows.js';
import type { Actor } from './create-import.js';
import { closeOpenPhases, refreshStats } from './import-store.js';
import { FINAL_STATUSES, type ImportStatus } from './import-types.js';

// POST /v1/imports/{id}/cancel: a non-final import ends `failed` with reason `canceled`.
// Bumping the attempt number fences out a worker mid-phase: its phase transaction re-checks
// the attempt before committing and rolls back, so the running phase leaves no trace. That
// worker then drops the working rows (it still holds their locks until it rolls back).

export async function cancelImport(db: Db, actor: Actor, importId: string, storage?: Storage): Promise<void> {
  await db.transaction(async (tx) => {
    const res = await tx.query<{ status: ImportStatus }>(
      'SELECT status FROM imports WHERE organization_id = $1 AND id = $2 FOR UPDATE',
      [actor.organizationId, importId],
    );
    const status = res.rows[0]?.status;
    if (!status) throw new AppError('not_found', `No import "${importId}" in this organization.`);
    if (FINAL_STATUSES.includes(status)) {
      throw new AppError('invalid_state', `The import is already ${status}; only requested, queued or processing imports can be canceled.`, {
        status,
      });
    }
    await tx.query(
      `UPDATE imports SET status = 'failed', reason = 'canceled', attempt = attempt + 1, updated_by = $2, updated_at = now(),
         lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1`,
      [importId, actor.apiKeyId],
    );
    await closeOpenPhases(tx, importId);
    if (status !== 'processing') {
      await writeImportFiles(tx, storage, importId);
      await dropWorkingRows(tx, importId);
    }
    await refreshStats(tx, importId);
  });
}
