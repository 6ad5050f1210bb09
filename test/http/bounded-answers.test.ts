import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROW_ERROR_DATA_CHARS, ROW_ERROR_VALUE_CHARS } from '../../src/imports/read-imports.js';
import { download } from '../support/uploads.js';
import { startService, type TestService } from '../support/service.js';

// Answers that stay small and inside the error envelope whatever the request: the row errors
// listing bounds each row's data (rows can be many megabytes) with concurrent callers, URLs the
// router or Node's HTTP parser refuse, and authentication before any body is read.

let svc: TestService;
let key: string;
let baseUrl: string;

beforeAll(async () => {
  svc = await startService({ SYNC_MAX_BYTES: '40000000' });
  key = await svc.newOrg();
  baseUrl = await svc.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => svc?.close());

describe('GET /v1/imports/{id}/errors with rows of half a megabyte', () => {
  const ROWS = 40;
  const CELL = 500_000;
  let importId: string;

  beforeAll(async () => {
    // Notes are limited to 10,000 characters: every row is an invalid_value error carrying its row.
    const data = Array.from({ length: ROWS }, (_, i) => ({ external_id: `B${i}`, name: `N${i}`, notes: `${i}:`.padEnd(CELL, 'x') }));
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data });
    expect(res.status).toBe(201);
    importId = res.body.id;
    await svc.settle(importId, key);
  }, 120_000);

  it('bounds each value and each row, says so, and keeps the whole row in the errors file', async () => {
    const res = await svc.app.inject({ method: 'GET', url: `/v1/imports/${importId}/errors?limit=100`, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body.length).toBeLessThan(ROWS * (ROW_ERROR_DATA_CHARS + 4000));
    const body = res.json();
    expect(body.data).toHaveLength(ROWS);
    for (const [i, e] of body.data.entries()) {
      expect(e.code).toBe('invalid_value');
      expect(e.data_truncated).toBe(true);
      expect(e.data.notes).toBe(`${i}:`.padEnd(ROW_ERROR_VALUE_CHARS, 'x'));
      expect(e.data.external_id).toBe(`B${i}`);
      expect(e.message.length).toBeLessThan(2100);
    }
    const small = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'S', email: 'bad' }] });
    await svc.settle(small.body.id, key);
    const plain = await svc.call('GET', `/v1/imports/${small.body.id}/errors`, key);
    expect(plain.body.data[0].data).toEqual({ external_id: 'S', email: 'bad' });
    expect(plain.body.data[0]).not.toHaveProperty('data_truncated');
    // The download has every row whole.
    const imp = await svc.call('GET', `/v1/imports/${importId}?include_errors_json=true`, key);
    const file = JSON.parse((await download(svc, imp.body._errors_json_url)).text);
    expect(file[0].data.notes).toHaveLength(CELL);
  }, 120_000);

  it('keeps memory bounded under concurrent calls', async () => {
    const call = () => svc.app.inject({ method: 'GET', url: `/v1/imports/${importId}/errors?limit=100`, headers: { authorization: `Bearer ${key}` } });
    await call(); // warm up
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    const answers = await Promise.all(Array.from({ length: 8 }, call));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    for (const a of answers) expect(a.statusCode).toBe(200);
    // Whole rows would be 8 × 20 MB of strings at least; bounded, all eight answers are ~5 MB.
    expect(peak - before).toBeLessThan(80 * 1024 * 1024);
  }, 120_000);
});

describe('URLs refused before any route', () => {
  it('a path parameter past the router limit is a 414 in the error envelope', async () => {
    const res = await svc.app.inject({ method: 'GET', url: `/v1/imports/imp_${'x'.repeat(200)}`, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(414);
    expect(res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'uri_too_long' } });
  });

  it('a URL that cannot be decoded is a 400 in the error envelope', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/v1/imports/%E0%A4%A', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('a request line past Node\'s header limit is a 431 in the error envelope', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(`${baseUrl}/v1/imports?x=${'a'.repeat(20_000)}`, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    expect(status).toBe(431);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_request' } });
  });
});

describe('authentication comes first', () => {
  it('a request without a valid key is refused before its body is read', async () => {
    for (const headers of [{}, { authorization: 'Bearer sk_nope' }]) {
      const bad = await svc.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"resource":' });
      expect(bad.statusCode).toBe(401);
      const huge = await svc.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...headers, 'content-type': 'application/json' }, payload: `{"data":"${'x'.repeat(60_000_000)}"}` });
      expect(huge.statusCode).toBe(401);
    }
    const withKey = await svc.app.inject({ method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: '{"resource":' });
    expect(withKey.statusCode).toBe(400);
  });
});
