import type { Queryable } from '../db/db.js';
import type { ImportRecord } from '../domain/import.js';

// Every transaction of a run first checks that its worker still holds the import (the attempt
// number it claimed), and takes the import row just before committing: a worker that lost its
// lease, or whose import was canceled meanwhile, changes nothing.

export class LostLease extends Error {
  constructor(importId: string, attempt: number) {
    super(`import ${importId}: attempt ${attempt} no longer holds the lease`);
    this.name = 'LostLease';
  }
}

/**
 * Fencing. `check` is a plain read at the start of a transaction (skip work already lost);
 * `lock` takes the import row FOR UPDATE just before a phase commits, so a cancel or a lease
 * takeover that committed meanwhile rolls the whole phase back. Taking the row lock last keeps
 * the lock order (working rows, then the import) the same everywhere, so a cancel never
 * deadlocks with a running phase.
 */
export async function fence(tx: Queryable, imp: Pick<ImportRecord, 'id' | 'attempt'>, mode: 'check' | 'lock' = 'lock'): Promise<void> {
  const res = await tx.query(
    `SELECT 1 FROM imports WHERE id = $1 AND attempt = $2 AND status = 'processing'${mode === 'lock' ? ' FOR UPDATE' : ''}`,
    [imp.id, imp.attempt],
  );
  if (res.rowCount === 0) throw new LostLease(imp.id, imp.attempt);
}

/** The worker is shutting down: the import goes back to the queue after its current phase (or range of rows). */
export class Released extends Error {
  constructor(importId: string) {
    super(`import ${importId}: released to the queue by a worker shutting down`);
    this.name = 'Released';
  }
}
