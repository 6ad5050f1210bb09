import { sql, type SqlFragment } from '../db/sql.js';
import type { Action } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';
import { cleanupStatements } from './cleanup.js';
import { countScopeSql } from './overwrite-scope.js';
import { parsingKinds } from './parsing.js';
import type { PhaseName } from './phase-list.js';
import { processDeletesStatements } from './process-deletes.js';
import { upsertRecordsSql } from './process-upserts.js';
import { referenceLockStatements } from './reference-locks.js';
import { removeDuplicatesSql } from './remove-duplicates.js';
import type { StatementParams } from './statement-params.js';
import { transformingStatements } from './transforming.js';
import { undoUpsertsSql } from '../staging/undo-processing.js';
import { validationStatements } from './validation.js';
import { revertResourceStatements } from './revert-apply.js';
import { conflictsSql, deletionShareSql, stageRevertRowsSql, stagedChangesSql, type RevertParams } from './revert-changes.js';
import { analyzeWorkingRowsSql, countLiveRowsInSql, countLiveRowsSql } from '../staging/working-rows.js';

// Every statement the phases run for an import of one resource and action, in phase order,
// each named by the builder that makes it: what `npm run sql:print` shows, and what the EXPLAIN
// test plans on each engine. The runner's own bookkeeping (import_phases, the import's status)
// and prevalidation's COPY are not phase statements and are not listed.

export interface NamedStatement {
  phase: PhaseName;
  name: string;
  statement: SqlFragment;
  /** When the statement runs only sometimes. */
  when?: string;
}

export interface StatementOptions {
  /** The statements of one range of a larger file (PGlite), rather than of the whole file at once (PostgreSQL). */
  ranged: boolean;
}

export function importStatements(def: ResourceDefinition, action: Action, p: StatementParams, { ranged }: StatementOptions): NamedStatement[] {
  const out: NamedStatement[] = [];
  const add = (phase: PhaseName, list: { name: string; statement: SqlFragment }[], when?: string) =>
    out.push(...list.map((s) => ({ phase, ...s, ...(when ? { when } : {}) })));
  add('preparsing', [{ name: 'removeDuplicates(identity)', statement: removeDuplicatesSql(def, 'identity', p, { ranged }) }]);
  add('transforming', [{ name: 'analyzeWorkingRows', statement: analyzeWorkingRowsSql('import_rows') }], 'the import is sync (prepare)');
  add('transforming', transformingStatements(def, action, p, { ranged }));
  add('parsing', [{ name: 'analyzeWorkingRows', statement: analyzeWorkingRowsSql('import_row_ids') }]);
  add(
    'parsing',
    parsingKinds(action).map((kind) => ({ name: `removeDuplicates(${kind})`, statement: removeDuplicatesSql(def, kind, p, { ranged }) })),
  );
  add('validation', validationStatements(def, action, p));
  add('processing', [{ name: 'countLiveRows', statement: countLiveRowsSql(p) }], 'first range');
  if (action === 'overwrite') add('processing', [{ name: 'countScope', statement: countScopeSql(def, p) }], 'first range');
  if (action === 'delete') {
    const list = processDeletesStatements(def, p);
    add('processing', list.slice(0, -1));
    add('processing', list.slice(-1), 'a record came to be required meanwhile');
  } else {
    const locks = referenceLockStatements(def, p);
    add('processing', locks.slice(0, 1));
    add('processing', locks.slice(1), 'a referenced record vanished meanwhile');
    add('processing', [{ name: ranged ? 'countLiveRowsIn' : 'countLiveRows', statement: ranged ? countLiveRowsInSql(p) : countLiveRowsSql(p) }]);
    add('processing', [{ name: 'upsertRecords', statement: upsertRecordsSql(def, action, p, { ranged }) }]);
    add('processing', [{ name: 'undoUpserts', statement: undoUpsertsSql(def, p) }], 'an import ends while ranged processing is unfinished');
  }
  add('cleanup', cleanupStatements(def, action, p));
  // A dry run (dry-run.ts) runs the same statements, except these, which forecast instead of
  // writing (listed without the `doomed` table's setup, which is the same).
  const dry = 'the import is a dry run';
  const dryRun = (list: { name: string; statement: SqlFragment }[]) => list.map((s) => ({ ...s, name: `${s.name}(dry run)` }));
  if (action === 'delete') add('processing', dryRun(processDeletesStatements(def, p, true).slice(2, -1)), dry);
  else add('processing', dryRun([{ name: 'upsertRecords', statement: upsertRecordsSql(def, action, p, { ranged, dryRun: true }) }]), dry);
  if (action === 'overwrite') add('cleanup', dryRun(cleanupStatements(def, action, p, true).slice(4)), dry);
  return out;
}

/**
 * The statements of a revert (revert-phases.ts) whose rows include records of `def`: the
 * staging and the checks run once, the processing statements once per resource present.
 * `npm run sql:print -- --revert --resource contact`.
 */
export function revertStatements(def: ResourceDefinition, p: RevertParams): NamedStatement[] {
  const staged = stagedChangesSql(p);
  return [
    { phase: 'prevalidation', name: 'stageRevertRows', statement: stageRevertRowsSql(p) },
    { phase: 'validation', name: 'conflicts', statement: conflictsSql(staged, p), when: 'not forced' },
    { phase: 'validation', name: 'deletionShare', statement: deletionShareSql(staged, def.table, p), when: 'allow_mass_delete is off' },
    ...revertResourceStatements(def, p).map((s) => ({ phase: 'processing' as const, ...s })),
  ];
}

/** Sample parameters of a revert, for printing and planning. */
export function sampleRevertParams(): RevertParams {
  return {
    revertId: sql.param('imp_0000000000revert', 'revert import id'),
    revertedId: sql.param('imp_0000000000sample', 'reverted import id'),
    organizationId: sql.param('org_0000000000sample', 'organization id'),
  };
}

/** Sample parameters with the right types, for printing and planning. */
export function sampleParams(def: ResourceDefinition, action: Action): StatementParams {
  return {
    importId: sql.param('imp_0000000000sample', 'import id'),
    organizationId: sql.param('org_0000000000sample', 'organization id'),
    action: sql.param(action, 'action'),
    duplicateHandling: sql.param('use_first', 'duplicate_handling'),
    locationId: def.locationField ? sql.param('loc_0000000000sample', 'location_id') : null,
    from: sql.param(1, 'first row of the range'),
    to: sql.param(2000, 'last row of the range'),
  };
}

/** The statements as text: each headed by phase and builder, followed by its parameters. */
export function formatStatements(def: ResourceDefinition, action: Action | 'revert', list: NamedStatement[], opts: StatementOptions): string {
  const lines = [`-- ${def.name} ${action}${opts.ranged ? ' (one range of a larger file, as on PGlite)' : ''}: ${list.length} statements`, ''];
  list.forEach((s, n) => {
    const { text, values, labels } = s.statement.compile();
    lines.push(`-- [${n + 1}] ${s.phase} · ${s.name}${s.when ? ` (only when ${s.when})` : ''}`);
    lines.push(dedent(text) + ';');
    values.forEach((v, i) => lines.push(`--   $${i + 1} = ${labels?.[i] ? `${labels[i]}: ` : ''}${JSON.stringify(v)}`));
    lines.push('');
  });
  return lines.join('\n');
}

/** Removes the indentation the statement had in its source file. */
function dedent(text: string): string {
  const lines = text.trim().split('\n');
  // The closing line is indented as the statement's body was in its source.
  const cut = lines.length > 1 ? /^ */.exec(lines[lines.length - 1]!)![0].length : 0;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(cut, /^ */.exec(l)![0].length)))].join('\n');
}
