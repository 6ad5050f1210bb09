import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// Idempotency-Key on POST /v1/imports (README "Retrying a create safely"): a retried create
// gives one import, concurrent retries too; another body with the key → 422; per organization.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const SYNC = { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'A1', name: 'Ann' }] };
const ASYNC = { resource: 'contact', action: 'merge', upload_mode: 'async' };

async function post(key: string, body: unknown, idempotencyKey?: string) {
  const res = await svc.app.inject({
    method: 'POST',
    url: '/v1/imports',
    headers: { authorization: `Bearer ${key}`, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
    payload: body as object,
  });
  return { status: res.statusCode, body: JSON.parse(res.body), replayed: res.headers['idempotent-replayed'] };
}

async function importIds(key: string): Promise<string[]> {
  return (await svc.call('GET', '/v1/imports?limit=100', key)).body.data.map((i: { id: string }) => i.id);
}

describe('Idempotency-Key on POST /v1/imports', () => {
  it('the same key and body again returns the first response, marked replayed, and creates nothing', async () => {
    const key = await svc.newOrg();
    const first = await post(key, SYNC, 'k-1');
    expect(first.status).toBe(201);
    expect(first.replayed).toBeUndefined();
    await svc.settle(first.body.id, key); // the import moves on; the replay is still the first answer
    const again = await post(key, SYNC, 'k-1');
    expect(again).toEqual({ status: 201, body: first.body, replayed: 'true' });
    expect(await importIds(key)).toEqual([first.body.id]);
    // Without a key, or with another one, a new import is created.
    const other = await post(key, SYNC, 'k-2');
    expect(other.body.id).not.toBe(first.body.id);
    expect((await post(key, SYNC)).body.id).not.toBe(first.body.id);
    expect(await importIds(key)).toHaveLength(3);
  });

  it('the same key with another body is refused with 422 idempotency_key_reused', async () => {
    const key = await svc.newOrg();
    expect((await post(key, ASYNC, 'k-x')).status).toBe(201);
    const res = await post(key, { ...ASYNC, name: 'different' }, 'k-x');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    expect(res.body.error.message).toContain('k-x');
    // Sync rows count as the body: other rows, other request.
    expect((await post(key, SYNC, 'k-rows')).status).toBe(201);
    expect((await post(key, { ...SYNC, data: [{ external_id: 'A2', name: 'Bo' }] }, 'k-rows')).status).toBe(422);
    expect(await importIds(key)).toHaveLength(2);
  });

  it('keys are per organization', async () => {
    const a = await svc.newOrg();
    const b = await svc.newOrg();
    const ra = await post(a, ASYNC, 'shared-key');
    const rb = await post(b, { ...ASYNC, name: 'other body' }, 'shared-key');
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.replayed).toBeUndefined();
    expect(ra.body.id).not.toBe(rb.body.id);
  });

  it('concurrent requests with one key create one import and all get its response', async () => {
    const key = await svc.newOrg();
    for (const body of [SYNC, ASYNC]) {
      const k = `concurrent-${body.upload_mode}`;
      const all = await Promise.all(Array.from({ length: 6 }, () => post(key, body, k)));
      expect(all.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
      expect(all.filter((r) => r.replayed === 'true')).toHaveLength(5);
    }
    expect(await importIds(key)).toHaveLength(2);
  });

  it('a first request that failed does not use the key up', async () => {
    const key = await svc.newOrg();
    const bad = await post(key, { ...ASYNC, column_mapping: { nope: 'X' } }, 'k-fail');
    expect(bad.status).toBe(400);
    const good = await post(key, ASYNC, 'k-fail');
    expect(good.status).toBe(201);
    expect(good.replayed).toBeUndefined();
  });

  it('a key is remembered for 24 hours, then it is new again', async () => {
    const key = await svc.newOrg();
    const first = await post(key, ASYNC, 'k-old');
    await svc.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-old'`);
    const later = await post(key, { ...ASYNC, name: 'a day later' }, 'k-old');
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('a request that died half way: its import is replayed if it exists, else a retry creates it with the reserved id', async () => {
    const key = await svc.newOrg();
    const first = await post(key, ASYNC, 'k-died');
    // As if the process died after creating the import and before recording the response.
    await svc.db.query(`UPDATE idempotency_keys SET status_code = NULL, response = NULL, claimed_at = now() - interval '1 hour' WHERE key = 'k-died'`);
    const replay = await post(key, ASYNC, 'k-died');
    expect(replay).toMatchObject({ status: 201, replayed: 'true', body: { id: first.body.id } });

    // As if it died before creating anything: the key holds a reserved id and no import.
    const second = await post(key, ASYNC, 'k-died-early');
    await svc.db.query(`DELETE FROM imports WHERE id = $1`, [second.body.id]);
    await svc.db.query(`UPDATE idempotency_keys SET status_code = NULL, response = NULL, claimed_at = now() - interval '1 hour' WHERE key = 'k-died-early'`);
    const retried = await post(key, ASYNC, 'k-died-early');
    expect(retried.status).toBe(201);
    expect(retried.replayed).toBeUndefined();
    expect(retried.body.id).toBe(second.body.id);
  });

  it('a malformed key is a 400', async () => {
    const key = await svc.newOrg();
    const res = await post(key, ASYNC, 'x'.repeat(256));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('idempotency-key');
  });

  it('is declared in the OpenAPI document', async () => {
    const doc = JSON.parse((await svc.app.inject({ method: 'GET', url: '/docs/json' })).body);
    const params = doc.paths['/v1/imports'].post.parameters;
    expect(params).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));
    expect(Object.keys(doc.paths['/v1/imports'].post.responses)).toEqual(expect.arrayContaining(['409', '422']));
  });
});
