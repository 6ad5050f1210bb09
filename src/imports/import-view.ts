import { z } from 'zod';
import { PHASES } from '../pipeline/phase-list.js';
import { RESOURCE_NAMES } from '../resources/index.js';
import { IMPORT_STATUSES, type ImportRecord, type PhaseRecord } from '../domain/import.js';

// The public JSON shape of an import (SPEC §1), field for field as in the seed model. The Zod
// schema documents it in OpenAPI; `toImportView` is the only place that builds it.

export const ImportStatusEnum = z
  .enum(IMPORT_STATUSES)
  .meta({ id: 'ImportStatus', description: 'requested → queued → processing → completed | failed | timed_out; requested → expired. Final: completed, failed, timed_out, expired.' });

export const PhaseNameEnum = z.enum(PHASES.map((p) => p.name) as [string, ...string[]]).meta({ id: 'PhaseName' });

const PhaseView = z.object({
  name: PhaseNameEnum,
  mode: z.enum(['sync', 'async']),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'skipped']),
  total: z.number().int(),
  processed: z
    .number()
    .int()
    .describe(
      'Rows the phase has worked through. While the phase runs it moves at least every 2 seconds (a progress bar): it counts work done, ' +
        'not only work committed (processing on PostgreSQL commits whole and reports each range it has done before that). ' +
        'If the worker dies, the uncommitted work is rolled back and the resumed phase counts again from what it had committed, so it can go back. ' +
        'Prevalidation counts rows as it reads them (its total grows with them). Exact once the phase has ended.',
    ),
  success: z.number().int().describe('processed − error'),
  error: z.number().int().describe('rows this phase removed, each with its row error (committed ones only while it runs)'),
  started_at: z.number().int().nullable(),
  completed_at: z.number().int().nullable(),
}).meta({ id: 'Phase', description: 'One of the seven phases of an import; `processed` moves while it runs (a progress bar). Times are epoch seconds.' });

const StatsView = z.object({
  total: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  deleted: z.number().int(),
  overwritten: z.number().int(),
  duplicates: z.number().int(),
  errors: z.number().int(),
  events: z.number().int(),
  /** Only on an import that ended before deciding every row (failed, canceled, timed out). */
  unprocessed: z.number().int().optional().describe('rows no phase decided because the import ended first; present only when above 0'),
}).meta({ id: 'Stats', description: 'What happened to the rows. total = created + updated + unchanged + deleted + duplicates + errors (+ unprocessed, only on an import that ended before deciding every row).' });

export const ImportView = z
  .object({
    id: z.string(),
    object: z.literal('import'),
    organization_id: z.string(),
    resource: z.enum(RESOURCE_NAMES),
    upload_mode: z.enum(['sync', 'async']),
    action: z.enum(['merge', 'overwrite', 'delete']),
    status: ImportStatusEnum,
    duplicate_handling: z.enum(['ignore_all', 'use_first']),
    reason: z.string().nullable(),
    has_upload_file: z.boolean(),
    has_errors_file: z.boolean(),
    has_results_file: z.boolean().describe('The per-row results download exists (include_results_csv / include_results_json).'),
    dry_run: z.boolean().describe('A dry run: its stats, phases, row errors and changes are what a real run would do; it changed no record and wrote no event.'),
    name: z.string().nullable(),
    location_id: z.string().nullable(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
    column_mapping: z.record(z.string(), z.string()).nullable(),
    phases: z.array(PhaseView),
    stats: StatsView,
    created_at: z.number().int(),
    updated_at: z.number().int(),
    checksum: z.string().nullable(),
    review: z.boolean().describe('Created with `review: true`: after its upload it stays `requested` until POST /v1/imports/{id}/start.'),
    awaiting_start: z
      .boolean()
      .describe('True exactly when this is a review import whose file has been received and stored and which has not been started yet (GET …/preview, then POST …/start).'),
    _upload_url: z.string().nullable(),
    _upload_csv_url: z.string().nullable(),
    _upload_json_url: z.string().nullable(),
    _errors_csv_url: z.string().nullable(),
    _errors_json_url: z.string().nullable(),
    reverts: z.string().nullable().describe('A revert: the import it takes back (POST /v1/imports/{id}/revert); null otherwise.'),
    reverted_by: z.string().nullable().describe('The revert that took (or is taking) this import back; null when none. A revert that failed does not count.'),
    _results_csv_url: z.string().nullable(),
    _results_json_url: z.string().nullable(),
  })
  .meta({ id: 'Import' });

export type ImportView = z.infer<typeof ImportView>;

export interface ImportUrls {
  _upload_url?: string | null;
  _upload_csv_url?: string | null;
  _upload_json_url?: string | null;
  _errors_csv_url?: string | null;
  _errors_json_url?: string | null;
  _results_csv_url?: string | null;
  _results_json_url?: string | null;
}

/** A review import whose file is stored and which nobody has started yet. */
export function isAwaitingStart(i: Pick<ImportRecord, 'review' | 'status' | 'file_key'>): boolean {
  return i.review && i.status === 'requested' && i.file_key !== null;
}

export function toImportView(i: ImportRecord, phases: PhaseRecord[], urls: ImportUrls = {}): ImportView {
  return {
    id: i.id,
    object: 'import',
    organization_id: i.organization_id,
    resource: i.resource,
    upload_mode: i.upload_mode,
    action: i.action,
    status: i.status,
    duplicate_handling: i.duplicate_handling,
    reason: i.reason,
    has_upload_file: i.has_upload_file,
    has_errors_file: i.has_errors_file,
    has_results_file: i.has_results_file,
    dry_run: i.dry_run,
    name: i.name,
    location_id: i.location_id,
    created_by: i.created_by,
    updated_by: i.updated_by,
    column_mapping: i.column_mapping,
    phases,
    stats: i.stats,
    created_at: i.created_at,
    updated_at: i.updated_at,
    checksum: i.checksum,
    review: i.review,
    awaiting_start: isAwaitingStart(i),
    _upload_url: urls._upload_url ?? null,
    _upload_csv_url: urls._upload_csv_url ?? null,
    _upload_json_url: urls._upload_json_url ?? null,
    _errors_csv_url: urls._errors_csv_url ?? null,
    _errors_json_url: urls._errors_json_url ?? null,
    reverts: i.reverts,
    reverted_by: i.reverted_by,
    _results_csv_url: urls._results_csv_url ?? null,
    _results_json_url: urls._results_json_url ?? null,
  };
}
