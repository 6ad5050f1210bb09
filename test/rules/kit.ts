import { expect } from 'vitest';
import type { Stats } from '../../src/domain/import.js';
import type { TestService } from '../support/service.js';

// Typed drivers for the rule tables (and the property tests): run a sync import to its end and
// check the accounting every import must satisfy (SPEC §6, §7), read records, errors, events.

export type Row = Record<string, unknown>;
export type Action = 'merge' | 'overwrite' | 'delete';
export type Mode = 'ignore_all' | 'use_first';
export type ResourceName = 'location' | 'group' | 'contact' | 'item' | 'asset';
export type ErrorCode =
  | 'parse_error' | 'invalid_value' | 'missing_required_field' | 'duplicate' | 'missing_identity'
  | 'ambiguous_identity' | 'not_found' | 'invalid_reference' | 'ambiguous_reference' | 'still_referenced';

export interface PhaseView {
  name: string;
  status: string;
  total: number;
  processed: number;
  success: number;
  error: number;
}

export interface ImportView {
  id: string;
  status: string;
  reason: string | null;
  has_errors_file: boolean;
  stats: Stats;
  phases: PhaseView[];
}

export interface RowErrorView {
  row: number;
  phase: string;
  code: ErrorCode;
  field: string | null;
  message: string;
  data: Row;
}

export interface EventView {
  type: 'record.created' | 'record.updated' | 'record.deleted';
  resource: string;
  record_id: string;
  before: Row | null;
  after: Row | null;
}

export interface RecordView extends Row {
  id: string;
  external_id: string | null;
  updated_at: number;
}

/** SPEC §7 "They add up", §6 "`total` (rows in) … `success` (rows passed on), `error` (rows removed)". */
export function accountingProblems(imp: ImportView): string[] {
  const s = imp.stats;
  const out: string[] = [];
  const sum = s.created + s.updated + s.unchanged + s.deleted + s.duplicates + s.errors;
  if (s.total !== sum) out.push(`stats do not add up: total ${s.total} ≠ ${sum} (${JSON.stringify(s)})`);
  let previous: PhaseView | undefined;
  for (const p of imp.phases) {
    if (p.total !== p.success + p.error) out.push(`phase ${p.name}: total ${p.total} ≠ success ${p.success} + error ${p.error}`);
    if (p.status === 'completed' && p.processed !== p.total) out.push(`completed phase ${p.name}: processed ${p.processed} ≠ total ${p.total}`);
    if (p.name === 'prevalidation' && p.total !== s.total) out.push(`prevalidation total ${p.total} ≠ stats.total ${s.total}`);
    if (previous && p.status !== 'skipped' && p.total !== previous.success) {
      out.push(`phase ${p.name}: total ${p.total} ≠ ${previous.name}.success ${previous.success}`);
    }
    previous = p;
  }
  return out;
}

export function expectAccounting(imp: ImportView): void {
  expect(accountingProblems(imp), `import ${imp.id}`).toEqual([]);
}

export interface Kit {
  key: string;
  /** Runs a sync import to its end; fails the test if the accounting does not hold. */
  run(resource: ResourceName, action: Action, data: unknown, extra?: Row): Promise<ImportView>;
  merge(resource: ResourceName, data: Row[], extra?: Row): Promise<ImportView>;
  records(resource: ResourceName): Promise<RecordView[]>;
  byExt(resource: ResourceName): Promise<Map<string, RecordView>>;
  errors(importId: string): Promise<RowErrorView[]>;
  events(importId?: string): Promise<EventView[]>;
}

/** `pageSize` is the `limit` used to read every list page by page (small values exercise pagination). */
export function kit(svc: TestService, key: string, pageSize = 100): Kit {
  async function all<T>(url: string): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const sep = url.includes('?') ? '&' : '?';
      const res = await svc.call<{ data: T[]; pagination: { has_more: boolean } }>('GET', `${url}${sep}limit=${pageSize}&page=${page}`, key);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      out.push(...res.body.data);
      if (!res.body.pagination.has_more) return out;
    }
  }
  async function run(resource: ResourceName, action: Action, data: unknown, extra: Row = {}): Promise<ImportView> {
    const res = await svc.call<ImportView>('POST', '/v1/imports', key, { resource, action, upload_mode: 'sync', data, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const imp = res.body.status === 'queued' ? await svc.settle<ImportView>(res.body.id, key) : res.body;
    expectAccounting(imp);
    return imp;
  }
  const records = (resource: ResourceName) => all<RecordView>(`/v1/resources/${resource}/records`);
  return {
    key,
    run,
    merge: (resource, data, extra = {}) => run(resource, 'merge', data, extra),
    records,
    byExt: async (resource) => new Map((await records(resource)).filter((r) => r.external_id !== null).map((r) => [r.external_id!, r])),
    errors: (importId) => all<RowErrorView>(`/v1/imports/${importId}/errors`),
    events: (importId) => all<EventView>(importId ? `/v1/events?import_id=${importId}` : '/v1/events'),
  };
}

export async function freshKit(svc: TestService): Promise<Kit> {
  return kit(svc, await svc.newOrg());
}

/** Merges the initial records and returns their ids by external_id. */
export async function seed(k: Kit, resource: ResourceName, rows: Row[]): Promise<Map<string, string>> {
  const imp = await k.merge(resource, rows);
  expect(imp.stats, `seeding ${resource}`).toMatchObject({ created: rows.length, errors: 0, duplicates: 0 });
  return new Map([...(await k.byExt(resource))].map(([ext, r]) => [ext, r.id]));
}

/** `[row, code]` pairs of an import's errors, in row order. */
export const codes = (errors: RowErrorView[]): [number, ErrorCode][] => errors.map((e) => [e.row, e.code]);

export const zeroStats: Stats = { total: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, overwritten: 0, duplicates: 0, errors: 0, events: 0 };

export { place } from '../support/imports.js';

/** The id of a seeded record, failing loudly when the seed did not create it. */
export function idOf(ids: Map<string, string>, ext: string): string {
  const id = ids.get(ext);
  if (!id) throw new Error(`no seeded record ${ext}`);
  return id;
}
