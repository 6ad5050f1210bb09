import { expect } from 'vitest';
import type { TestService } from '../support/service.js';
import { kit, type ImportView, type Kit, type RecordView, type Row, type RowErrorView } from '../rules/kit.js';
import type { Resource, Scenario } from './arbitraries.js';

// Running a generated scenario on a service, and the record/error views the properties compare.

export const PREFIX: Record<Resource, string> = { item: 'itm_', contact: 'con_' };
export const LOOKUP_KEYS: Record<Resource, readonly string[]> = { item: ['external_id', 'sku', 'gtin'], contact: ['external_id', 'email'] };

/** fast-check options shared by the property files: modest runs, a fixed seed when FC_SEED is set. */
export function fcOptions(numRuns: number): { numRuns: number; seed?: number } {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
  return { numRuns: process.env.FC_RUNS ? Number(process.env.FC_RUNS) : numRuns, ...(seed === undefined ? {} : { seed }) };
}

export interface Org {
  k: Kit;
  /** external_id → id of the records seeded in this organization. */
  ids: Map<string, string>;
  /** id → external_id of this organization's locations. */
  locations: Map<string, string>;
}

const LOCATIONS = ['L1', 'L2', 'LS1', 'LS2'].map((code) => ({
  external_id: code, code, name: code.startsWith('LS') ? 'Shared' : `Place ${code}`, address_line1: '1 Main St', city: 'Springfield', country: 'US',
}));

/**
 * A fresh organization holding the locations L1, L2, LS1, LS2 ("Shared"), then `initial` merged
 * in (whatever that merge accepted is the initial state), then one asset per `assetItems` item.
 */
export async function seededOrg(svc: TestService, resource: Resource, initial: Row[], assetItems: readonly string[] = []): Promise<Org> {
  const k = kit(svc, await svc.newOrg(), 7); // lists are read 7 per page: pagination is exercised
  expect((await k.merge('location', LOCATIONS)).stats.created).toBe(LOCATIONS.length);
  if (initial.length > 0) expect((await k.merge(resource, initial)).status).toBe('completed');
  const ids = new Map([...(await k.byExt(resource))].map(([e, r]) => [e, r.id]));
  const assets = resource === 'item' ? assetItems.filter((e) => ids.has(e)) : [];
  if (assets.length > 0) {
    const imp = await k.merge('asset', assets.map((e) => ({ external_id: `A-${e}`, item: ids.get(e), location: 'L1' })));
    expect(imp.stats.created).toBe(assets.length);
  }
  const locations = new Map((await k.records('location')).map((r) => [r.id, String(r.external_id)]));
  return { k, ids, locations };
}

/** Assets whose item does not exist, and contacts naming a location that does not exist. */
export async function danglingReferences(org: Org): Promise<string[]> {
  const items = new Set((await org.k.records('item')).map((r) => r.id));
  const out = (await org.k.records('asset')).filter((a) => !items.has(String(a.item))).map((a) => `asset ${a.external_id} → item ${a.item}`);
  for (const c of await org.k.records('contact')) {
    const locs = Array.isArray(c.locations) ? (c.locations as string[]) : [];
    for (const l of locs) if (!org.locations.has(l)) out.push(`contact ${c.external_id} → location ${l}`);
  }
  return out;
}

/** Replaces `@X` / `@@X` id tokens by ids of `org` / `foreign` (or an id matching nothing). */
export function resolveTokens(resource: Resource, file: Row[], org: Org, foreign?: Org): Row[] {
  const idFor = (token: string): string => {
    const isForeign = token.startsWith('@@');
    const ext = token.slice(isForeign ? 2 : 1);
    const id = (isForeign ? foreign : org)?.ids.get(ext);
    return id ?? `${PREFIX[resource]}gone${ext}`;
  };
  return file.map((row) => (typeof row.id === 'string' && row.id.startsWith('@') ? { ...row, id: idFor(row.id) } : row));
}

export interface Outcome {
  imp: ImportView;
  errors: RowErrorView[];
  records: RecordView[];
}

export async function runFile(org: Org, sc: Scenario, file: Row[]): Promise<Outcome> {
  const imp = await org.k.run(sc.resource, sc.action, file, { duplicate_handling: sc.mode, allow_mass_delete: true });
  return { imp, errors: await org.k.errors(imp.id), records: await org.k.records(sc.resource) };
}

/**
 * A record without what differs between runs (ids, timestamps), as a sortable string; location
 * references are shown by the location's external_id.
 */
export function recordShape(r: RecordView, org: Org): string {
  const { id: _id, created_at: _c, updated_at: _u, ...rest } = r;
  if (Array.isArray(rest.locations)) rest.locations = (rest.locations as string[]).map((id) => org.locations.get(id) ?? id).sort();
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))));
}
export const recordShapes = (records: RecordView[], org: Org): string[] => records.map((r) => recordShape(r, org)).sort();

export const errorShapes = (errors: RowErrorView[]) => errors.map((e) => ({ row: e.row, phase: e.phase, code: e.code, field: e.field }));

/**
 * The value a row names its record by (SPEC §3: `id` if present, else the first lookup key it
 * has a value for), normalised as stored; null when the row names nothing.
 */
export function namingValue(resource: Resource, row: Row): { key: string; value: string } | null {
  for (const key of ['id', ...LOOKUP_KEYS[resource]]) {
    const v = row[key];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const s = key === 'email' ? String(v).trim().toLowerCase() : String(v).trim();
    if (s !== '') return { key, value: s };
  }
  return null;
}

/** Ids of the `records` a row names by its naming value. */
export function namedBy(resource: Resource, row: Row, records: RecordView[]): string[] {
  const n = namingValue(resource, row);
  if (!n) return [];
  return records.filter((r) => r[n.key] === n.value).map((r) => r.id);
}
