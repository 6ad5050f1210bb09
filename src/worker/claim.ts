import type { Db, Queryable } from '../db/db.js';
import { writeImportFiles } from '../imports/import-files.js';
import { dropWorkingRows } from '../pipeline/working-rows.js';
import type { Storage } from '../storage/storage.js';
import { findImportById } from '../imports/import-store.js';
import type { ImportRecord } from '../imports/import-types.js';

// Claiming work. A worker takes the oldest queued import whose (organization, resource) has
// none processing — preferring organizations with the fewest imports processing, so one busy
// organization cannot starve the others — or an import whose lease expired (its worker died).
// SKIP LOCKED keeps racing workers apart; the partial unique index on processing imports makes
// the one-per-(organization, resource) rule hold even when two claims race. The processing clock
// restarts when an import leaves the queue (time spent waiting there does not count), but not
// on a takeover, so an import that keeps killing its workers still times out.

export async function claimNext(db: Queryable, workerId: string, leaseSeconds: number): Promise<ImportRecord | null> {
  try {
    const res = await db.query<{ id: string }>(
      `UPDATE imports SET status = 'processing', attempt = attempt + 1, lease_owner = $1,
         lease_expires_at = now() + make_interval(secs => $2), updated_at = now(),
         processing_started_at = CASE WHEN status = 'queued' THEN now() ELSE processing_started_at END
       WHERE id = (
         SELECT i.id FROM imports i
         WHERE i.run_after <= now() AND (
           (i.status = 'queued' AND NOT EXISTS (
              SELECT 1 FROM imports p WHERE p.organization_id = i.organization_id AND p.resource = i.resource
                AND p.status = 'processing'))
           OR (i.status = 'processing' AND i.lease_expires_at < now()))
         ORDER BY (SELECT count(*) FROM imports b WHERE b.organization_id = i.organization_id AND b.status = 'processing'),
                  i.queued_at, i.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [workerId, leaseSeconds],
    );
    const id = res.rows[0]?.id;
    return id ? await findImportById(db, id) : null;
  } catch (err) {
    // Another worker started an import of the same (organization, resource) at the same moment.
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  }
}

export async function renewLease(db: Queryable, imp: Pick<ImportRecord, 'id' | 'attempt'>, leaseSeconds: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE imports SET lease_expires_at = now() + make_interval(secs => $3)
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt, leaseSeconds],
  );
  return res.rowCount > 0;
}

/** Puts an import back in the queue after a transient error, to be retried after `delaySeconds`. */
export async function requeue(db: Queryable, imp: Pick<ImportRecord, 'id' | 'attempt'>, delaySeconds: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE imports SET status = 'queued', failures = failures + 1, lease_owner = NULL, lease_expires_at = NULL,
       run_after = now() + make_interval(secs => $3), updated_at = now()
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt, delaySeconds],
  );
  return res.rowCount > 0;
}

/** Hands an import back to the queue at once, without counting a failure (worker shutdown). */
export async function release(db: Queryable, imp: Pick<ImportRecord, 'id' | 'attempt'>): Promise<void> {
  await db.query(
    `UPDATE imports SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = now(), updated_at = now()
     WHERE id = $1 AND attempt = $2 AND status = 'processing'`,
    [imp.id, imp.attempt],
  );
}

export async function failureCount(db: Queryable, importId: string): Promise<number> {
  const res = await db.query<{ failures: number }>('SELECT failures FROM imports WHERE id = $1', [importId]);
  return res.rows[0]?.failures ?? 0;
}

/** A canceled (or otherwise ended) import's working rows go once no phase holds them. */
export async function dropRowsIfFinal(db: Db, importId: string, storage?: Storage): Promise<void> {
  await db.transaction(async (tx) => {
    const res = await tx.query(`SELECT 1 FROM imports WHERE id = $1 AND status IN ('completed', 'failed', 'timed_out', 'expired')`, [importId]);
    if (res.rowCount === 0) return;
    await writeImportFiles(tx, storage, importId); // the errors file of a canceled or timed-out import
    await dropWorkingRows(tx, importId);
  });
}
