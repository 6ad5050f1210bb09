import { sql, type SqlFragment } from '../db/sql.js';
import type { Queryable } from '../db/db.js';
import type { ImportRecord, Stats } from '../domain/import.js';
import { ImportFailure } from '../errors.js';
import { recordFileFacts } from '../lifecycle/import-facts.js';
import { getResource, RESOURCES } from '../resources/index.js';
import { countLiveRows } from '../staging/working-rows.js';
import type { Config } from '../config.js';
import type { Phase, PhaseContext } from './phase.js';
import { lockRevertedRecordsSql, removeCreated, restoreResource } from './revert-apply.js';
import {
  conflictsSql,
  deletionShareSql,
  REVERT_ROW_HEADERS,
  revertParams,
  stageRevertRowsSql,
  stagedChangesSql,
  type RevertConflict,
  type RevertParams,
} from './revert-changes.js';

// The phases of a revert (issue 16), under the seven names every import has (SPEC §6), so a
// revert is shown, counted, leased, fenced and resumed exactly like an import: its "rows" are
// the records the reverted import changed, one each, staged from its events.
//
//   prevalidation  stages one working row per record the reverted import changed (its net change)
//   preparsing     skipped: one row per record, nothing can be a duplicate
//   transforming   skipped: every row names its record by id already
//   parsing        skipped
//   validation     the checks: records changed since (unless force) and the mass-delete guard
//                  (unless allow_mass_delete); either refuses the whole revert (it fails)
//   processing     the undo (revert-apply.ts), with the checks again under the records' locks
//   cleanup        the errors file; the working rows are dropped after it, as for any import
//
// Each is a `whole` phase: its effect commits with its completion, so a worker killed anywhere
// leaves either all of a phase or none of it, and the next attempt resumes at the first phase
// not completed. Processing is one transaction on both engines for the same reason deletes are
// (processing.ts): a half-applied undo must never be visible, nor need undoing itself.

const revertOf = (imp: ImportRecord): RevertParams => {
  if (!imp.reverts) throw new Error(`import ${imp.id} is not a revert`);
  return revertParams({ id: imp.id, organization_id: imp.organization_id, reverts: imp.reverts });
};

export const stageRevert: Phase = async ({ tx, imp }) => {
  const res = await tx.query(stageRevertRowsSql(revertOf(imp)));
  await recordFileFacts(tx, imp.id, { mapping: {}, headers: REVERT_ROW_HEADERS, format: 'events' });
  return { total: res.rowCount, error: 0, stats: { total: res.rowCount } };
};

export const skipForRevert: Phase = async ({ tx, imp }) => ({ total: await countLiveRows(tx, imp.id), error: 0, skipped: true });

export const checkRevert: Phase = async (ctx) => {
  await refuseUnsafeRevert(ctx);
  return { total: await countLiveRows(ctx.tx, ctx.imp.id), error: 0 };
};

export const applyRevert: Phase = async (ctx) => {
  const { tx, imp } = ctx;
  const p = revertOf(imp);
  const total = await countLiveRows(tx, imp.id);
  const present = await resourcesOf(tx, p);
  // Locked in one order (the registry's, then by id) so two transactions never wait on each other in a cycle.
  for (const def of present) await tx.query(lockRevertedRecordsSql(def, p));
  await refuseUnsafeRevert(ctx);
  const counts: Partial<Stats>[] = [];
  for (const def of present) counts.push(await restoreResource(tx, def, p));
  for (const def of present) counts.push(await removeCreated(tx, def, p));
  const stats: Partial<Stats> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) stats[k as keyof Stats] = (stats[k as keyof Stats] ?? 0) + (v ?? 0);
  return { total, error: 0, stats: { created: 0, updated: 0, unchanged: 0, deleted: 0, ...stats } };
};

export const finishRevert: Phase = async ({ tx, imp }) => ({ total: await countLiveRows(tx, imp.id), error: 0 });

/** The resources the revert's rows name, in the registry's order. */
async function resourcesOf(tx: Queryable, p: RevertParams) {
  const res = await tx.query<{ resource: string }>(sql`SELECT DISTINCT c.resource FROM (${stagedChangesSql(p)}) c`);
  const names = new Set(res.rows.map((r) => r.resource));
  return RESOURCES.filter((d) => names.has(d.name));
}

/** Throws the ImportFailure that ends the revert when something changed the records since, or it deletes too much. */
async function refuseUnsafeRevert({ tx, imp, config }: PhaseContext): Promise<void> {
  const p = revertOf(imp);
  const changes = stagedChangesSql(p);
  if (!imp.revert_force) {
    const found = await tx.query<RevertConflict>(sql`${conflictsSql(changes, p)} LIMIT 6`);
    if (found.rows.length > 0) throw new ImportFailure('revert_conflict', describeConflicts(found.rows));
  }
  if (!imp.allow_mass_delete) {
    const refusal = await massDeleteRefusal(tx, changes, imp.resource, p, config);
    if (refusal) throw new ImportFailure('mass_delete_refused', refusal);
  }
}

/** The first conflicts, in words (the reason of a revert that met them when it ran). */
export function describeConflicts(rows: readonly RevertConflict[]): string {
  const shown = rows.slice(0, 5).map((c) =>
    c.conflict === 'external_id_taken'
      ? `${c.resource} ${c.record_id} (its external_id now belongs to ${c.other_record_id})`
      : `${c.resource} ${c.record_id} (${c.conflict === 'deleted_since' ? 'deleted' : 'changed'} since by ${c.later_import_id ?? 'another change'})`,
  );
  const more = rows.length > 5 ? ', and more' : '';
  return `records changed since by something else: ${shown.join(', ')}${more}; nothing was reverted. Revert again to list them all, or with force: true.`;
}

/** Why the mass-delete guard refuses deleting what `changes` created, or null. */
export async function massDeleteRefusal(
  db: Queryable,
  changes: SqlFragment,
  resource: string,
  p: Pick<RevertParams, 'organizationId'>,
  config: Readonly<Config>,
): Promise<string | null> {
  const def = getResource(resource);
  const res = await db.query<{ doomed: number; existing: number }>(deletionShareSql(changes, def.table, p));
  const { doomed, existing } = res.rows[0]!;
  const ratio = existing > 0 ? doomed / existing : 0;
  if (doomed === 0 || ratio <= config.limits.massDeleteMaxRatio) return null;
  const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;
  return (
    `the revert would delete ${doomed} of ${existing} existing ${def.name} records (${pct(ratio)}), more than the allowed ` +
    `${pct(config.limits.massDeleteMaxRatio)}; nothing was reverted. Ask for the revert with allow_mass_delete: true to allow it.`
  );
}
