import type { ResourceName } from '../resources/resource.js';
import type { PhaseName, PhaseStatus } from '../pipeline/phases.js';

// Glossary
//  import        one bulk operation on one resource of one organization (SPEC §1)
//  row           one data row of the input, numbered from 1 (header excluded); never renumbered
//  live row      a staged row that no phase has removed yet (it has no entry in import_errors)
//  ident         what a row names its record by: `id`, else its first lookup key with a value
//  attempt       the fencing token of a worker's run: writes of a stale attempt change nothing

export type ImportStatus = 'requested' | 'queued' | 'processing' | 'completed' | 'failed' | 'timed_out' | 'expired';
export const FINAL_STATUSES: readonly ImportStatus[] = ['completed', 'failed', 'timed_out', 'expired'];
export type Action = 'merge' | 'overwrite' | 'delete';
export type DuplicateHandling = 'ignore_all' | 'use_first';
export type UploadMode = 'sync' | 'async';

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
  file_key: string | null;
  file_format: string | null;
  attempt: number;
  created_at: number;
  updated_at: number;
  upload_expires_at: number | null;
}

export interface PhaseRecord {
  name: PhaseName;
  mode: 'sync' | 'async';
  status: PhaseStatus;
  total: number;
  processed: number;
  success: number;
  error: number;
  started_at: number | null;
  completed_at: number | null;
}
