import type { Db } from '../db/db.js';
import { AppError, ImportFailure } from '../errors.js';
import { endImport } from '../lifecycle/end-import.js';
import { seize } from '../lifecycle/transitions.js';
import type { Storage } from '../storage/storage.js';
import type { Actor } from '../domain/actor.js';

// POST /v1/imports/{id}/cancel: a non-final import ends `failed` with reason `canceled`.
// Seizing it bumps the attempt number, which fences out a worker mid-phase: its phase
// transaction re-checks the attempt before committing and rolls back, so the running phase
// leaves no trace. That worker then writes the files and drops the working rows (it still holds
// their locks until it rolls back), see end-import.ts.

export async function cancelImport(db: Db, actor: Actor, importId: string, storage: Storage): Promise<void> {
  await db.transaction(async (tx) => {
    const seized = await seize(tx, importId, actor.organizationId);
    if (!seized) {
      const res = await tx.query<{ status: string }>('SELECT status FROM imports WHERE organization_id = $1 AND id = $2', [actor.organizationId, importId]);
      const status = res.rows[0]?.status;
      if (!status) throw new AppError('not_found', `No import "${importId}" in this organization.`);
      throw new AppError('invalid_state', `The import is already ${status}; only requested, queued or processing imports can be canceled.`, { status });
    }
    await endImport(tx, importId, { status: 'failed', failure: new ImportFailure('canceled') }, {
      storage,
      rows: seized.status === 'processing' ? 'held' : 'here',
      by: actor.apiKeyId,
    });
  });
}
