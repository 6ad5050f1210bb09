import type { Queryable } from '../db/db.js';
import type { PhaseRow } from '../domain/phases.js';
import { insertImport, type NewImport } from './transitions.js';

// Creating a revert (issue 16): an import like any other, queued, plus what makes it a revert.
// The unique index of migration 0017 refuses a second revert of the same import here (23505),
// whoever races to create it.
export async function insertRevertImport(
  tx: Queryable,
  base: NewImport & { status: 'queued' },
  revert: { reverts: string; force: boolean },
  phases: readonly PhaseRow[],
): Promise<void> {
  await insertImport(tx, base, phases);
  await tx.query('UPDATE imports SET reverts = $2, revert_force = $3 WHERE id = $1', [base.id, revert.reverts, revert.force]);
}
