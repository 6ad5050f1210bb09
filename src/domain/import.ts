import type { PhaseStatus } from './phases.js';

// The import's domain: its types and states, at the bottom of the tree. Every layer imports
// these; this folder imports nothing outside it. (Row error codes live in the error catalog,
// src/errors.ts, which also imports nothing.)

// Glossary
//  import        one bulk operation on one resource of one organization (SPEC §1)
//  row           one data row of the input, numbered from 1 (header excluded); never renumbered
//  live row      a staged row that no phase has removed yet (it has no entry in import_errors)
//  ident         what a row names its record by: `id`, else its first lookup key with a value
//  attempt       the fencing token of a worker's run: writes of a stale attempt change nothing

/** The resources (their definitions and registry: src/resources). */
export type ResourceName = 'location' | 'group' | 'contact' | 'item' | 'asset';

//  requested ──upload──▶ queued ──claim──▶ processing ──last phase──▶ completed
//      │                   │  ▲                │  └──release / requeue──▶ queued
//      └──expire──▶ expired │  └────────────────┘
//  any non-final ──cancel / fail──▶ failed;  processing ──time-out──▶ timed_out
// Every change is one guarded statement in src/lifecycle/transitions.ts.
export const IMPORT_STATUSES = ['requested', 'queued', 'processing', 'completed', 'failed', 'timed_out', 'expired'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
/** An import in one of these never changes status again. The one place they are listed. */
export const FINAL_STATUSES = ['completed', 'failed', 'timed_out', 'expired'] as const satisfies readonly ImportStatus[];
export type FinalStatus = (typeof FINAL_STATUSES)[number];
export const isFinal = (s: ImportStatus): s is FinalStatus => (FINAL_STATUSES as readonly string[]).includes(s);

/** A revert's statuses that hold its import: one such revert per import (migration 0017). */
export const REVERT_HOLDING_STATUSES = ['requested', 'queued', 'processing', 'completed'] as const satisfies readonly ImportStatus[];

export const ACTIONS = ['merge', 'overwrite', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];
export const DUPLICATE_HANDLINGS = ['ignore_all', 'use_first'] as const;
export type DuplicateHandling = (typeof DUPLICATE_HANDLINGS)[number];
export const UPLOAD_MODES = ['sync', 'async'] as const;
export type UploadMode = (typeof UPLOAD_MODES)[number];

export interface Stats {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  overwritten: number;
  duplicates: number;
  errors: number;
  events: number;
  /**
   * Rows no phase decided because the import ended first (failed, canceled, timed out); present
   * only then. With it the stats add up for every final status:
   * total = created + updated + unchanged + deleted + duplicates + errors + unprocessed.
   */
  unprocessed?: number;
}

export const EMPTY_STATS: Stats = {
  total: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  deleted: 0,
  overwritten: 0,
  duplicates: 0,
  errors: 0,
  events: 0,
};

/** An import as the pipeline sees it (internal columns included). */
export interface ImportRecord {
  id: string;
  organization_id: string;
  resource: ResourceName;
  upload_mode: UploadMode;
  action: Action;
  status: ImportStatus;
  duplicate_handling: DuplicateHandling;
  reason: string | null;
  has_upload_file: boolean;
  has_errors_file: boolean;
  /** The per-row results download exists (results.csv / results.json). */
  has_results_file: boolean;
  name: string | null;
  location_id: string | null;
  created_by: string | null;
  updated_by: string | null;
  column_mapping: Record<string, string> | null;
  stats: Stats;
  checksum: string | null;
  expected_checksum: string | null;
  save_upload: boolean;
  allow_mass_delete: boolean;
  /** Created with `review: true`: after its upload it waits `requested` for POST …/start. */
  review: boolean;
  /** Runs every phase but changes no record and writes no event (src/pipeline/dry-run.ts). */
  dry_run: boolean;
  file_key: string | null;
  file_format: string | null;
  attempt: number;
  created_at: number;
  updated_at: number;
  upload_expires_at: number | null;
  /** A revert: the import it takes back (issue 16, pipeline/revert-*.ts); null for an ordinary import. */
  reverts: string | null;
  /** A revert asked for with `force: true`: applied even over records changed since. */
  revert_force: boolean;
  /** The revert that took (or is taking) this import back; read from the revert's `reverts`. */
  reverted_by: string | null;
}

export interface PhaseRecord {
  /** One of the phase list's names (src/pipeline/phase-list.ts). */
  name: string;
  mode: 'sync' | 'async';
  status: PhaseStatus;
  total: number;
  processed: number;
  success: number;
  error: number;
  started_at: number | null;
  completed_at: number | null;
}

/** One removed row, as the API lists it and the errors files hold it (SPEC §8). */
export interface RowErrorView {
  row: number;
  /** The row as a person finds it in the file (header = 1): CSV's physical line, the sheet's row; see migration 0010. */
  line: number;
  phase: string;
  code: string;
  field: string | null;
  message: string;
  data: Record<string, unknown> | null;
}
