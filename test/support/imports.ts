import { expect } from 'vitest';
import type { TestService } from './service.js';

// Small drivers for import tests: run a sync import to its end, read all records or errors.

export type Row = Record<string, unknown>;

export function importer(svc: TestService, key: string) {
  async function run(resource: string, action: string, data: unknown, extra: Row = {}) {
    const res = await svc.call('POST', '/v1/imports', key, { resource, action, upload_mode: 'sync', data, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.status === 'queued' ? svc.settle(res.body.id, key) : res.body;
  }
  async function all(url: string): Promise<any[]> {
    const out: any[] = [];
    for (let page = 1; ; page++) {
      const sep = url.includes('?') ? '&' : '?';
      const res = await svc.call('GET', `${url}${sep}limit=100&page=${page}`, key);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      out.push(...res.body.data);
      if (!res.body.pagination.has_more) return out;
    }
  }
  return {
    run,
    merge: (resource: string, data: unknown, extra: Row = {}) => run(resource, 'merge', data, extra),
    records: (resource: string) => all(`/v1/resources/${resource}/records`),
    errors: (importId: string) => all(`/v1/imports/${importId}/errors`),
    events: (importId: string) => all(`/v1/events?import_id=${importId}`),
    byKey: async (resource: string, key = 'external_id') => new Map((await all(`/v1/resources/${resource}/records`)).map((r) => [r[key], r])),
  };
}

export const place = (code: string, extra: Row = {}): Row => ({
  external_id: code,
  code,
  name: `Place ${code}`,
  address_line1: '1 Main St',
  city: 'Springfield',
  country: 'US',
  ...extra,
});
