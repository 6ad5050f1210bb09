import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// The HTTP surface: authentication, validation errors naming every field, limits, listing
// and pagination, resources with JSON Schema, and the OpenAPI document.

let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService({ SYNC_MAX_ROWS: '50', SYNC_MAX_BYTES: '20000' });
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

const contact = (i: number) => ({ external_id: `E${i}`, name: `N${i}`, email: `n${i}@example.com` });

describe('authentication', () => {
  it('401 without a key, with a malformed header, and with an unknown key', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer sk_nope' }]) {
      const res = await svc.app.inject({ method: 'GET', url: '/v1/imports', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'unauthorized' } });
    }
  });
});

describe('POST /v1/imports validation', () => {
  it('400 for an unknown resource, naming the valid ones', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'widget', action: 'merge', upload_mode: 'sync', data: [] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('unknown_resource');
    expect(res.body.error.message).toContain('location, group, contact, item, asset');
  });

  it('400 naming every offending field, including unknown ones', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'upsert', upload_mode: 'sync', name: 'x', dupe_handling: 'use_first' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    const fields = res.body.error.details.map((d: any) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['action', 'name', 'dupe_handling']));
  });

  it('400 for a column_mapping naming an unknown field or a header twice', async () => {
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync', data: [contact(1)],
      column_mapping: { name: 'Name', emial: 'Email', email: 'name' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_column_mapping');
    expect(res.body.error.message).toContain('"emial" is not a field of contact');
    expect(res.body.error.message).toContain('header "name" is mapped to both');
  });

  it('400 when sync has no data, and for a location_id of no location', async () => {
    const a = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync' });
    expect(a.status).toBe(400);
    expect(a.body.error.details[0].field).toBe('data');
    const b = await svc.call('POST', '/v1/imports', key, { resource: 'asset', action: 'merge', upload_mode: 'sync', location_id: 'loc_x', data: [{}] });
    expect(b.status).toBe(400);
    expect(b.body.error.message).toContain('loc_x');
  });

  it('413 past the sync row or byte limit, telling the client to use async', async () => {
    const rows = Array.from({ length: 51 }, (_, i) => contact(i));
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: rows });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('sync_too_large');
    expect(res.body.error.message).toContain('async');
    const big = [{ ...contact(1), notes: 'x'.repeat(30_000) }];
    const res2 = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: big });
    expect(res2.status).toBe(413);
    expect(res2.body.error.message).toContain('async');
    const list = await svc.call('GET', '/v1/imports', key);
    expect(list.body.pagination.total_count).toBe(0); // nothing was created
  });

  it('400 for a body that is not JSON', async () => {
    const res = await svc.app.inject({ method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: '{"resource":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });
});

describe('sync data forms', () => {
  it('accepts a base64 data URL of a CSV, mapping headers automatically', async () => {
    const csv = 'External ID,Full Name,E-mail Address,Phone Number\r\nX1,Ann,ANN@example.com, 555 \r\nX2,Bob,bob@example.com,\r\n';
    const res = await svc.call('POST', '/v1/imports', key, {
      resource: 'contact', action: 'merge', upload_mode: 'sync', data: `data:text/csv;base64,${Buffer.from(csv).toString('base64')}`,
    });
    expect(res.status).toBe(201);
    expect(res.body.column_mapping).toEqual({ external_id: 'External ID', name: 'Full Name', email: 'E-mail Address', phone: 'Phone Number' });
    expect(res.body.checksum).toBe(`sha256:${(await import('node:crypto')).createHash('sha256').update(csv).digest('hex')}`);
    const imp = await svc.settle(res.body.id, key);
    expect(imp.stats).toMatchObject({ total: 2, created: 2 });
  });

  it('a non-object element is a parse_error row; all rows invalid fails the import with no_valid_rows', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [42, 'x', { email: 'nope' }] });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('failed');
    expect(res.body.reason).toMatch(/^no_valid_rows/);
    expect(res.body.stats).toMatchObject({ total: 3, errors: 3 });
    expect(res.body.phases.map((p: any) => p.status)).toEqual(['completed', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    const errors = await svc.call('GET', `/v1/imports/${res.body.id}/errors`, key);
    expect(errors.body.data.map((e: any) => [e.row, e.code])).toEqual([[1, 'parse_error'], [2, 'parse_error'], [3, 'invalid_value']]);
  });

  it('an unreadable data URL fails the import with a reason', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: 'not a data url' });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('failed');
    expect(res.body.reason).toMatch(/^unreadable_file: /);
  });

  it('a checksum that does not match the data fails the import', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [contact(1)], checksum: `sha256:${'0'.repeat(64)}` });
    expect(res.body).toMatchObject({ status: 'failed', reason: 'checksum_mismatch' });
  });
});

describe('listing', () => {
  it('lists newest first with status/resource filters and pagination', async () => {
    const all = await svc.call('GET', '/v1/imports?limit=2', key);
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(2);
    expect(all.body.pagination).toMatchObject({ page: 1, limit: 2, has_more: true });
    const total = all.body.pagination.total_count;
    const failed = await svc.call('GET', '/v1/imports?status=failed&limit=100', key);
    expect(failed.body.data.every((i: any) => i.status === 'failed')).toBe(true);
    expect(failed.body.data.length).toBeGreaterThan(0);
    const ids = (await svc.call('GET', '/v1/imports?limit=100', key)).body.data.map((i: any) => i.created_at);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect((await svc.call('GET', '/v1/imports?resource=item', key)).body.pagination.total_count).toBe(0);
    expect((await svc.call('GET', `/v1/imports?limit=1&page=${total}`, key)).body.pagination.has_more).toBe(false);
    expect((await svc.call('GET', '/v1/imports?limit=101', key)).status).toBe(400);
    expect((await svc.call('GET', '/v1/imports?status=done', key)).status).toBe(400);
  });

  it('404 for an unknown import id', async () => {
    const res = await svc.call('GET', '/v1/imports/imp_nope', key);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('resources and documentation', () => {
  it('lists the five resources with their definitions and JSON Schema', async () => {
    const res = await svc.call('GET', '/v1/resources', key);
    expect(res.body.data.map((r: any) => r.name)).toEqual(['location', 'group', 'contact', 'item', 'asset']);
    const asset = await svc.call('GET', '/v1/resources/asset', key);
    expect(asset.body).toMatchObject({
      name: 'asset', id_prefix: 'ast_', lookup_keys: ['external_id', 'serial_number', 'barcode'], required_to_create: ['item', 'location'],
    });
    expect(asset.body.json_schema.properties.status.anyOf ?? asset.body.json_schema.properties.status).toBeDefined();
    expect(Object.keys(asset.body.json_schema.properties)).toEqual(expect.arrayContaining(['id', 'external_id', 'serial_number', 'purchased_at']));
    expect((await svc.call('GET', '/v1/resources/widget', key)).status).toBe(400);
  });

  it('serves OpenAPI 3.1 and a browsable reference', async () => {
    const doc = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const spec = doc.json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/imports', '/v1/imports/{id}', '/v1/imports/{id}/errors', '/v1/resources', '/v1/events']));
    // The body is a named component now ($ref), resolved in the document's components.
    const ref: string = spec.paths['/v1/imports'].post.requestBody.content['application/json'].schema.$ref;
    expect(spec.components.schemas[ref.replace('#/components/schemas/', '')].properties.duplicate_handling).toBeDefined();
    const docs = await svc.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});
