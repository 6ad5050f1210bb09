import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Actor } from '../domain/actor.js';
import { EMPTY_STATS, type ImportRecord } from '../domain/import.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { insertRevertImport } from '../lifecycle/insert-revert.js';
import { phaseRows } from '../pipeline/phase-list.js';
import { netChangesSql, readConflicts, revertParams, type RevertConflict } from '../pipeline/revert-changes.js';
import { massDeleteRefusal } from '../pipeline/revert-phases.js';
import { sql } from '../db/sql.js';
import { requireImport } from './read-imports.js';

// POST /v1/imports/{id}/revert (issue 16): checks the request against the records as they are
// now, then queues the revert — an import of its own that the workers run like any other
// (pipeline/revert-phases.ts), which checks again when it runs. Refused: an import that is not
// completed, a dry run, one reverted already (409 naming the revert), one that changed nothing;
// records changed since by something else (409 with the first conflicts and where to page
// through them, unless force); deleting more than the mass-delete share (unless allow_mass_delete).

export interface RevertRequest {
  force: boolean;
  allow_mass_delete: boolean;
}

/** How many conflicts the 409 names; GET …/revert-conflicts pages through all of them. */
export const CONFLICTS_IN_ERROR = 20;

export const revertConflictsPath = (importId: string) => `/v1/imports/${importId}/revert-conflicts`;

export async function revertImport(deps: { db: Db; config: Readonly<Config> }, actor: Actor, importId: string, body: RevertRequest): Promise<{ id: string }> {
  const { db } = deps;
  const original = await requireImport(db, actor.organizationId, importId);
  assertRevertable(original);
  const id = newId('imp_');
  const p = revertParams({ id, organization_id: original.organization_id, reverts: original.id });
  const changes = netChangesSql(p);
  const counted = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM (${changes}) c`);
  if ((counted.rows[0]?.n ?? 0) === 0) {
    throw new AppError('invalid_state', `Import "${importId}" changed no record (it has no change events); there is nothing to revert.`);
  }
  if (!body.force) {
    const found = await readConflicts(db, changes, p, 0, CONFLICTS_IN_ERROR);
    if (found.total > 0) {
      throw new AppError(
        'revert_conflict',
        `${found.total} record(s) that import ${importId} changed were changed since by something else, so reverting it would undo those changes too. ` +
          `The first ${found.rows.length} are in details.conflicts; GET ${revertConflictsPath(importId)} lists them all. Revert with force: true to overwrite them.`,
        { total_count: found.total, conflicts: found.rows, conflicts_url: revertConflictsPath(importId) },
      );
    }
  }
  if (!body.allow_mass_delete) {
    const refusal = await massDeleteRefusal(db, changes, original.resource, p, deps.config);
    if (refusal) throw new AppError('mass_delete_refused', `Refused: ${refusal}`);
  }
  try {
    await db.transaction((tx) =>
      insertRevertImport(
        tx,
        {
          id,
          organization_id: actor.organizationId,
          resource: original.resource,
          upload_mode: 'async',
          action: original.action,
          status: 'queued',
          duplicate_handling: original.duplicate_handling,
          name: `Revert of ${original.id}`.slice(0, 127),
          location_id: null,
          created_by: actor.apiKeyId,
          column_mapping: null,
          stats: EMPTY_STATS,
          checksum: null,
          expected_checksum: null,
          save_upload: false,
          allow_mass_delete: body.allow_mass_delete,
          upload_expires_at: null,
        },
        { reverts: original.id, force: body.force },
        phaseRows('async'),
      ),
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      const now = await requireImport(db, actor.organizationId, importId);
      throw alreadyReverted(importId, now.reverted_by);
    }
    throw err;
  }
  return { id };
}

function assertRevertable(imp: ImportRecord): void {
  if (imp.status !== 'completed') {
    throw new AppError('invalid_state', `Import "${imp.id}" is ${imp.status}; only a completed import can be reverted.`, { status: imp.status });
  }
  // A dry run changed nothing, so there is nothing to take back.
  if (imp.dry_run) {
    throw new AppError('invalid_state', `Import "${imp.id}" is a dry run: it changed no record, so there is nothing to revert.`);
  }
  if (imp.reverted_by) throw alreadyReverted(imp.id, imp.reverted_by);
}

function alreadyReverted(importId: string, by: string | null): AppError {
  return new AppError('already_reverted', `Import "${importId}" is already reverted by ${by ?? 'another revert'}; an import is reverted at most once (revert ${by ?? 'that revert'} to undo it).`, {
    reverted_by: by,
  });
}

/** GET /v1/imports/{id}/revert-conflicts: what a revert of the import would overwrite, now, by page. */
export async function listRevertConflicts(
  db: Db,
  organizationId: string,
  importId: string,
  page: number,
  limit: number,
): Promise<{ data: RevertConflict[]; pagination: { page: number; limit: number; has_more: boolean; total_count: number } }> {
  const original = await requireImport(db, organizationId, importId);
  const p = revertParams({ id: original.reverted_by ?? '', organization_id: original.organization_id, reverts: original.id });
  const found = await readConflicts(db, netChangesSql(p), p, (page - 1) * limit, limit);
  return { data: found.rows, pagination: { page, limit, has_more: page * limit < found.total, total_count: found.total } };
}
